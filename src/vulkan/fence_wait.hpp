// A bounded fence wait that says whether what the fence guards may still be in use.
#pragma once

#include <chrono>

#include <vulkan/vulkan.h>

namespace geyser::vulkan::detail {

struct FenceWait {
  /// VK_SUCCESS when the work finished; VK_TIMEOUT or an error otherwise.
  VkResult result = VK_SUCCESS;
  /// True when the submission may still be executing: the fence, its command buffers and
  /// whatever they use must then be leaked rather than destroyed (destroying them is invalid).
  bool may_be_in_use = false;
};

/// Waits at most `timeout` for `fence`. After an error other than VK_ERROR_DEVICE_LOST the
/// fence's state is unknown, so it waits once more (bounded too): when that wait succeeds
/// the work finished and the result is VK_SUCCESS. A lost device leaves nothing in use.
[[nodiscard]] FenceWait wait_for_fence(VkDevice device, VkFence fence,
                                       std::chrono::nanoseconds timeout);

/// Waits until `queue` is idle before what it used is destroyed. A failed vkQueueWaitIdle
/// (other than a lost device, after which nothing is in use) leaves the queue's state
/// unknown, so it falls back to vkDeviceWaitIdle. Returns the last result.
[[nodiscard]] VkResult wait_queue_idle(VkDevice device, VkQueue queue) noexcept;

}  // namespace geyser::vulkan::detail
