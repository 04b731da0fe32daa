// The producer's own per-frame submission, as a renderer makes one anyway, and a present
// whose semaphore signals ride in it (Sender::present_signals, docs/channels.md "Signals in
// your own submission"), and a reader's that carries the frame's wait and release signal.
// Shared by the throughput and handoff scenarios.
#pragma once

#include <chrono>

#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"

namespace geyser::bench {

/// One present when a slot frees up within `wait`; false when none did (every slot held),
/// which is no error. With `own_work`, the present's signals go into a semaphore-only
/// vkQueueSubmit2 on that device's queue (the application's submission, no work in it),
/// and the calling thread's CPU time inside that call is added to `*app_seconds`.
[[nodiscard]] Result<bool> present_one(channel::Sender& sender, std::chrono::milliseconds wait,
                                       const vulkan::Device* own_work = nullptr,
                                       double* app_seconds = nullptr);

/// The reader's own submission for the frame `receiver` holds, as one that records its
/// reads makes anyway (acquired with ReadSubmission::Application): begin_access() and
/// end_access(), then a semaphore-only vkQueueSubmit2 on `device`'s queue carrying their
/// wait and signal (no work in it), so that release() submits nothing. The calling
/// thread's CPU time inside that vkQueueSubmit2 is added to `*app_seconds`.
[[nodiscard]] Result<void> read_in_own_submission(vulkan::Receiver& receiver,
                                                  const vulkan::Device& device,
                                                  double* app_seconds);

}  // namespace geyser::bench
