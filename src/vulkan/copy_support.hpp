// Internal: what upload(), readback() and copy_to_host() share to record and submit one copy
// on the device's queue and wait for it.
#pragma once

#include <chrono>
#include <span>

#include <vulkan/vulkan.h>

#include "geyser/error.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan::detail {

/// One command buffer from a queue's command pool (the device's main queue unless told)
/// and one fence, submitted once and waited for. Frees both on destruction unless the
/// submission may still be executing (pending()): destroying what the GPU may still use is
/// worse than a leak.
class OneShot {
 public:
  explicit OneShot(const Device& device) : OneShot(device, device.main_queue()) {}
  OneShot(const Device& device, const QueueInfo& queue) : device_(device), queue_(queue) {}
  ~OneShot();
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;

  /// Allocates the command buffer and begins it (one-time submit).
  [[nodiscard]] Result<VkCommandBuffer> begin();
  /// Ends the command buffer, submits it with `waits` and `signals` and waits for its fence
  /// at most `timeout`: Timeout then, and pending() says the submission may still run.
  [[nodiscard]] Result<void> submit_and_wait(std::span<const VkSemaphoreSubmitInfo> waits,
                                             std::span<const VkSemaphoreSubmitInfo> signals,
                                             std::chrono::milliseconds timeout = kGpuWaitTimeout);
  /// True when the submission may still be executing (its wait timed out or failed twice).
  [[nodiscard]] bool pending() const noexcept { return pending_; }

 private:
  const Device& device_;
  QueueInfo queue_;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  bool pending_ = false;
};

/// One vkCmdPipelineBarrier2 with at most one barrier of each kind (null: none).
void pipeline_barrier(VkCommandBuffer cmd, const VkImageMemoryBarrier2* image_barrier,
                      const VkMemoryBarrier2* memory_barrier = nullptr,
                      const VkBufferMemoryBarrier2* buffer_barrier = nullptr);

/// acquire_barrier() and release_barrier() for a queue of family `family`, which need not
/// be the device's main one (the public ones pass queue_family_index()).
[[nodiscard]] VkImageMemoryBarrier2 acquire_barrier_on(const VulkanSharedTexture& texture,
                                                       std::uint32_t family, VkImageLayout layout,
                                                       VkPipelineStageFlags2 stages,
                                                       VkAccessFlags2 access) noexcept;
[[nodiscard]] VkImageMemoryBarrier2 release_barrier_on(const VulkanSharedTexture& texture,
                                                       std::uint32_t family, VkImageLayout layout,
                                                       VkPipelineStageFlags2 stages,
                                                       VkAccessFlags2 access) noexcept;

/// Unsupported for a format that is not a colour format, Validation when the texture lacks
/// `needed`; `call` names the public function in messages.
[[nodiscard]] Result<void> check_copyable(const VulkanSharedTexture& texture, TextureUsage needed,
                                          const char* call);

/// The buffer/image copy region of mip 0, layer 0, the whole extent, at buffer offset 0,
/// rows `row_length` texels apart (0: tightly packed).
[[nodiscard]] VkBufferImageCopy whole_copy(const TextureDescriptor& desc,
                                           std::uint32_t row_length = 0) noexcept;

}  // namespace geyser::vulkan::detail
