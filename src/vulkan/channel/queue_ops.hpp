// Internal: the tiny queue submissions the Vulkan channel backend makes around the
// application's work.
#pragma once

#include <chrono>
#include <span>

#include <vulkan/vulkan.h>

#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan::detail {

/// Submits a batch with no command buffers that waits for `waits` and signals `signals`.
/// A wait orders every later submission on the queue after it, a signal covers every earlier
/// one (the "submission order" clauses of semaphore waiting and signaling), so these batches
/// bracket the application's own submissions without touching them.
[[nodiscard]] Result<void> submit_semaphores(const Device& device,
                                             std::span<const VkSemaphoreSubmitInfo> waits,
                                             std::span<const VkSemaphoreSubmitInfo> signals);

/// Waits until everything submitted to the device's queue so far has finished: an empty
/// batch with a fence, waited for at most `timeout` (Timeout; the fence is then leaked
/// rather than destroyed while pending).
[[nodiscard]] Result<void> drain_queue(const Device& device, std::chrono::milliseconds timeout);

}  // namespace geyser::vulkan::detail
