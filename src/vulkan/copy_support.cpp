#include "copy_support.hpp"

#include <string>

#include "fence_wait.hpp"

namespace geyser::vulkan::detail {

OneShot::~OneShot() {
  if (pending_) return;  // destroying what the GPU may still use is worse than a leak
  if (fence_ != VK_NULL_HANDLE) vkDestroyFence(device_.device(), fence_, nullptr);
  if (cmd_ != VK_NULL_HANDLE) vkFreeCommandBuffers(device_.device(), queue_.command_pool, 1, &cmd_);
}

Result<VkCommandBuffer> OneShot::begin() {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = queue_.command_pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  if (VkResult r = vkAllocateCommandBuffers(device_.device(), &alloc, &cmd_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkAllocateCommandBuffers"));
  }
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  if (VkResult r = vkBeginCommandBuffer(cmd_, &begin); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkBeginCommandBuffer"));
  }
  return cmd_;
}

Result<void> OneShot::submit_and_wait(std::span<const VkSemaphoreSubmitInfo> waits,
                                      std::span<const VkSemaphoreSubmitInfo> signals,
                                      std::chrono::milliseconds timeout) {
  if (VkResult r = vkEndCommandBuffer(cmd_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkEndCommandBuffer"));
  }
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if (VkResult r = vkCreateFence(device_.device(), &fence_info, nullptr, &fence_);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateFence"));
  }
  VkCommandBufferSubmitInfo cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
  cmd_info.commandBuffer = cmd_;
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.waitSemaphoreInfoCount = static_cast<std::uint32_t>(waits.size());
  submit.pWaitSemaphoreInfos = waits.data();
  submit.signalSemaphoreInfoCount = static_cast<std::uint32_t>(signals.size());
  submit.pSignalSemaphoreInfos = signals.data();
  submit.commandBufferInfoCount = 1;
  submit.pCommandBufferInfos = &cmd_info;
  if (VkResult r = vkQueueSubmit2(queue_.queue, 1, &submit, fence_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkQueueSubmit2"));
  }
  // Bounded: a wait for a semaphore whose signaller died would otherwise block for good.
  const FenceWait waited = wait_for_fence(device_.device(), fence_, timeout);
  pending_ = waited.may_be_in_use;
  if (waited.result == VK_TIMEOUT) {
    return fail(Error(ErrorCode::Timeout,
                      "the copy did not finish within " + std::to_string(timeout.count()) +
                          " ms (a semaphore it waits for was never signalled?); its "
                          "resources are leaked rather than destroyed while in use",
                      NativeDomain::VkResult, waited.result));
  }
  if (waited.result != VK_SUCCESS)
    return tl::unexpected(vk_error(waited.result, "vkWaitForFences"));
  return {};
}

void pipeline_barrier(VkCommandBuffer cmd, const VkImageMemoryBarrier2* image_barrier,
                      const VkMemoryBarrier2* memory_barrier,
                      const VkBufferMemoryBarrier2* buffer_barrier) {
  VkDependencyInfo dep{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
  dep.imageMemoryBarrierCount = image_barrier ? 1 : 0;
  dep.pImageMemoryBarriers = image_barrier;
  dep.memoryBarrierCount = memory_barrier ? 1 : 0;
  dep.pMemoryBarriers = memory_barrier;
  dep.bufferMemoryBarrierCount = buffer_barrier ? 1 : 0;
  dep.pBufferMemoryBarriers = buffer_barrier;
  vkCmdPipelineBarrier2(cmd, &dep);
}

Result<void> check_copyable(const VulkanSharedTexture& texture, TextureUsage needed,
                            const char* call) {
  const TextureDescriptor& desc = texture.descriptor();
  if (format_info(desc.format).kind != FormatKind::Color) {
    return fail(ErrorCode::Unsupported, std::string(call) + ": only colour formats, not " +
                                            std::string(to_string(desc.format)));
  }
  if (!has_all(desc.usage, needed)) {
    return fail(ErrorCode::Validation,
                std::string(call) + ": the texture lacks usage " + std::string(to_string(needed)));
  }
  return {};
}

VkBufferImageCopy whole_copy(const TextureDescriptor& desc, std::uint32_t row_length) noexcept {
  VkBufferImageCopy region{};
  region.bufferRowLength = row_length;
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = {desc.width, desc.height, 1};
  return region;
}

}  // namespace geyser::vulkan::detail
