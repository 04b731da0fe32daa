#include "queue_ops.hpp"

#include <string>

#include "../fence_wait.hpp"

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
  const FenceWait waited = wait_for_fence(device.device(), fence, timeout);
  // Destroying a fence that a pending submission will signal is invalid: leak it then.
  if (!waited.may_be_in_use) vkDestroyFence(device.device(), fence, nullptr);
  if (waited.result == VK_TIMEOUT) {
    return fail(Error(ErrorCode::Timeout,
                      "the GPU did not finish the submitted work within " +
                          std::to_string(timeout.count()) + " ms",
                      NativeDomain::VkResult, waited.result));
  }
  if (waited.result != VK_SUCCESS)
    return tl::unexpected(vk_error(waited.result, "vkWaitForFences"));
  return {};
}

}  // namespace geyser::vulkan::detail
