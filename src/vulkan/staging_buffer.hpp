// Internal: a host-visible, host-coherent buffer that host copies go through (upload(),
// readback(), and the host-frame uploads of a Vulkan receiver, which keep one per slot).
#pragma once

#include <cstdint>
#include <span>

#include <vulkan/vulkan.h>

#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan::detail {

/// A buffer bound to mapped host-visible coherent memory. Frees itself, unless leak() said
/// that a submission that never finished may still use it. Not copyable or movable; the
/// Device must outlive it.
class StagingBuffer {
 public:
  explicit StagingBuffer(const Device& device) : device_(device.device()) {}
  ~StagingBuffer();
  StagingBuffer(const StagingBuffer&) = delete;
  StagingBuffer& operator=(const StagingBuffer&) = delete;

  /// Creates the buffer of `size` bytes with `usage`, allocates, binds and maps its memory.
  /// Unsupported without a host-visible coherent memory type; the Vulkan error otherwise.
  [[nodiscard]] Result<void> init(const Device& device, VkDeviceSize size,
                                  VkBufferUsageFlags usage);
  [[nodiscard]] VkBuffer buffer() const noexcept { return buffer_; }
  [[nodiscard]] std::uint8_t* data() const noexcept { return static_cast<std::uint8_t*>(mapped_); }
  [[nodiscard]] VkDeviceSize size() const noexcept { return size_; }
  /// Never free it: a submission that timed out may still read or write it.
  void leak() noexcept { leaked_ = true; }
  [[nodiscard]] bool leaked() const noexcept { return leaked_; }

 private:
  VkDevice device_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  void* mapped_ = nullptr;
  VkDeviceSize size_ = 0;
  bool leaked_ = false;
};

/// upload_rows() through `staging` (TransferSrc, at least the rows' size: Validation
/// otherwise, and for a leaked one), so that a caller uploading frame after frame allocates
/// it once. On a wait that timed out with the copy pending, `staging` is leaked (leaked()):
/// drop it without freeing it and use another.
[[nodiscard]] Result<void> upload_rows_through(VulkanSharedTexture& texture, StagingBuffer& staging,
                                               std::span<const std::uint8_t> bytes,
                                               std::uint32_t row_pitch,
                                               std::span<const VkSemaphoreSubmitInfo> waits = {},
                                               std::span<const VkSemaphoreSubmitInfo> signals = {});

}  // namespace geyser::vulkan::detail
