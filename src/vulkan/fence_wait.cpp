#include "fence_wait.hpp"

#include <cstdint>

namespace geyser::vulkan::detail {

namespace {

VkResult wait(VkDevice device, VkFence fence, std::chrono::nanoseconds timeout) {
  const auto ns = timeout.count() < 0 ? 0 : static_cast<std::uint64_t>(timeout.count());
  return vkWaitForFences(device, 1, &fence, VK_TRUE, ns);
}

}  // namespace

FenceWait wait_for_fence(VkDevice device, VkFence fence, std::chrono::nanoseconds timeout) {
  VkResult r = wait(device, fence, timeout);
  if (r != VK_SUCCESS && r != VK_TIMEOUT && r != VK_ERROR_DEVICE_LOST) {
    r = wait(device, fence, timeout);  // a failed wait tells nothing about the work
  }
  return {r, r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST};
}

VkResult wait_queue_idle(VkDevice device, VkQueue queue) noexcept {
  const VkResult r = vkQueueWaitIdle(queue);
  if (r == VK_SUCCESS || r == VK_ERROR_DEVICE_LOST) return r;
  return vkDeviceWaitIdle(device);
}

}  // namespace geyser::vulkan::detail
