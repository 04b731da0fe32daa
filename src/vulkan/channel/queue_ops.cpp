#include "queue_ops.hpp"

#include <string>

namespace geyser::vulkan::detail {

Result<void> submit_semaphores(const Device& device, std::span<const VkSemaphoreSubmitInfo> waits,
                               std::span<const VkSemaphoreSubmitInfo> signals) {
  if (waits.empty() && signals.empty()) return {};
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.waitSemaphoreInfoCount = static_cast<std::uint32_t>(waits.size());
  submit.pWaitSemaphoreInfos = waits.data();
  submit.signalSemaphoreInfoCount = static_cast<std::uint32_t>(signals.size());
  submit.pSignalSemaphoreInfos = signals.data();
  if (VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, VK_NULL_HANDLE); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkQueueSubmit2(semaphores only)"));
  }
  return {};
}

Result<void> drain_queue(const Device& device, std::chrono::milliseconds timeout) {
  VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  if (VkResult r = vkCreateFence(device.device(), &info, nullptr, &fence); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateFence"));
  }
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  if (VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, fence); r != VK_SUCCESS) {
    vkDestroyFence(device.device(), fence, nullptr);
    return tl::unexpected(vk_error(r, "vkQueueSubmit2(fence only)"));
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const VkResult r = vkWaitForFences(device.device(), 1, &fence, VK_TRUE,
                                     static_cast<std::uint64_t>(ns < 0 ? 0 : ns));
  if (r == VK_TIMEOUT) {
    // Destroying a fence that a pending submission will signal is invalid: leak it.
    return fail(Error(ErrorCode::Timeout,
                      "the GPU did not finish the submitted work within " +
                          std::to_string(timeout.count()) + " ms",
                      NativeDomain::VkResult, r));
  }
  vkDestroyFence(device.device(), fence, nullptr);
  if (r != VK_SUCCESS) return tl::unexpected(vk_error(r, "vkWaitForFences"));
  return {};
}

}  // namespace geyser::vulkan::detail
