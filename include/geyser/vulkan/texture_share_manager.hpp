// Shareable textures on Vulkan: exportable dedicated images, exported and imported as OS
// handles (opaque fds on Linux; the external memory service the device supports picks the
// type, the handle's type picks it on import).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <vulkan/vulkan.h>

#include "geyser/sync.hpp"
#include "geyser/texture_share_manager.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/semaphore.hpp"

namespace geyser::vulkan {

/// A shared VkImage and its dedicated VkDeviceMemory. Owned by the application through
/// the unique_ptr its manager returns; destroy it before the manager's Device.
class VulkanSharedTexture final : public SharedTexture {
 public:
  ~VulkanSharedTexture() override;

  [[nodiscard]] Backend backend() const noexcept override { return Backend::Vulkan; }
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept override { return desc_; }
  [[nodiscard]] bool imported() const noexcept override { return imported_; }

  [[nodiscard]] VkImage image() const noexcept { return image_; }
  [[nodiscard]] VkDeviceMemory memory() const noexcept { return memory_; }
  /// The Vulkan facts the texture was created with (what an export carries).
  [[nodiscard]] const VulkanImageInfo& image_info() const noexcept { return info_; }
  /// The layout and ownership the image is in between accesses: VK_IMAGE_LAYOUT_UNDEFINED
  /// until its first access ends, then kSharedImageLayout, released to
  /// VK_QUEUE_FAMILY_EXTERNAL. Imported textures start in the shared layout.
  [[nodiscard]] VkImageLayout shared_layout() const noexcept { return layout_; }
  /// Optimal or Linear, as image_info().tiling says.
  [[nodiscard]] Tiling tiling() const noexcept {
    return info_.tiling == VK_IMAGE_TILING_LINEAR ? Tiling::Linear : Tiling::Optimal;
  }
  /// Bytes from one row of mip 0 to the next for a linear texture, whose rows start at
  /// offset 0 of its memory; 0 for an optimal one.
  [[nodiscard]] std::uint32_t row_pitch() const noexcept { return row_pitch_; }
  /// Records that an access ended with a release to VK_QUEUE_FAMILY_EXTERNAL in the shared
  /// layout. Geyser's own access helpers call it; call it after your own release barrier.
  void mark_released() noexcept { layout_ = static_cast<VkImageLayout>(kSharedImageLayout); }
  /// The manager's device that owns the image.
  [[nodiscard]] const Device& device() const noexcept { return *device_; }

 private:
  friend class VulkanTextureShareManager;
  VulkanSharedTexture(const Device& device, const TextureDescriptor& desc, VulkanImageInfo info,
                      bool imported)
      : device_(&device), desc_(desc), info_(info), imported_(imported) {}

  const Device* device_;
  TextureDescriptor desc_;
  VulkanImageInfo info_;
  bool imported_;
  VkImage image_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkImageLayout layout_ = VK_IMAGE_LAYOUT_UNDEFINED;
  std::uint32_t row_pitch_ = 0;
};

/// Whether one format can be shared on a device, and with which usages.
struct FormatCapability {
  TextureFormat format;
  MemoryHandleType handle_type = MemoryHandleType::OpaqueFd;
  bool exportable = false;
  bool importable = false;
  bool dedicated_only = false;
  /// The single usages for which the format can be both exported and imported.
  TextureUsage usages = TextureUsage::None;
  std::uint32_t max_width = 0;
  std::uint32_t max_height = 0;
};

/// Vulkan's TextureShareManager. Holds a reference to a Device, which must outlive it and
/// every texture it made. Not thread-safe.
class VulkanTextureShareManager final : public TextureShareManager {
 public:
  explicit VulkanTextureShareManager(const Device& device) noexcept : device_(&device) {}

  [[nodiscard]] Backend backend() const noexcept override { return Backend::Vulkan; }
  [[nodiscard]] const DeviceIdentity& identity() const noexcept override {
    return device_->identity();
  }
  [[nodiscard]] const Device& device() const noexcept { return *device_; }

  [[nodiscard]] Result<std::unique_ptr<SharedTexture>> create_shareable_texture(
      const TextureDescriptor& desc) override;
  [[nodiscard]] Result<TextureShareHandle> export_texture(const SharedTexture& texture) override;
  [[nodiscard]] Result<std::unique_ptr<SharedTexture>> import_texture(
      const TextureShareHandle& handle) override;

  /// The same as create_shareable_texture, typed. Tiling::Linear makes a linear image (one
  /// mip level and one layer, Validation otherwise) whose rows start at offset 0,
  /// row_pitch() apart; Unsupported where the device cannot export one with the
  /// descriptor's format and usage, or lays it out at another offset.
  [[nodiscard]] Result<std::unique_ptr<VulkanSharedTexture>> create(
      const TextureDescriptor& desc, Tiling tiling = Tiling::Optimal);
  /// The same as import_texture, typed. A linear handle (image.tiling LINEAR) must carry
  /// the row pitch this device lays the same image out with (Unsupported otherwise: the two
  /// drivers disagree), an optimal one a row pitch of 0 (Validation).
  [[nodiscard]] Result<std::unique_ptr<VulkanSharedTexture>> import(
      const TextureShareHandle& handle);

  [[nodiscard]] Result<std::unique_ptr<SharedSemaphore>> create_shared_semaphore(
      SemaphoreType type) override;
  [[nodiscard]] Result<SemaphoreShareHandle> export_semaphore(
      const SharedSemaphore& semaphore) override;
  [[nodiscard]] Result<std::unique_ptr<SharedSemaphore>> import_semaphore(
      const SemaphoreShareHandle& handle) override;
  /// The same as create_shared_semaphore, typed.
  [[nodiscard]] Result<std::unique_ptr<VulkanSharedSemaphore>> create_vk_semaphore(
      SemaphoreType type);
  /// The same as import_semaphore, typed.
  [[nodiscard]] Result<std::unique_ptr<VulkanSharedSemaphore>> import_vk_semaphore(
      const SemaphoreShareHandle& handle);

  /// Whether semaphores of `type` can be exported and imported here through the device's
  /// preferred semaphore handle type, opaque fd on Linux
  /// (vkGetPhysicalDeviceExternalSemaphoreProperties; false when the device lacks
  /// VK_KHR_external_semaphore_fd).
  [[nodiscard]] SemaphoreCapability query_semaphore(SemaphoreType type) const;
  /// This side's capabilities for choose_sync_mode.
  [[nodiscard]] SyncCapabilities sync_capabilities() const;

  /// Whether `format` can be exported and imported on this device through its preferred
  /// memory handle type (opaque fd on Linux; FormatCapability::handle_type names it).
  [[nodiscard]] FormatCapability query_format(TextureFormat format) const;
  /// query_format for every format.
  [[nodiscard]] std::vector<FormatCapability> query_formats() const;

 private:
  const Device* device_;
};

/// The Vulkan texture behind `texture`, or nullptr if it is not a Vulkan texture.
[[nodiscard]] VulkanSharedTexture* as_vulkan(SharedTexture* texture) noexcept;
[[nodiscard]] const VulkanSharedTexture* as_vulkan(const SharedTexture* texture) noexcept;

/// Vulkan usage flags for Geyser usage flags.
[[nodiscard]] VkImageUsageFlags to_vk_usage(TextureUsage usage) noexcept;

/// How long upload() and readback() wait for their own submission.
inline constexpr std::chrono::milliseconds kGpuWaitTimeout{10000};

/// Copies tightly packed texels into mip 0, layer 0 of `texture` and waits for the copy:
/// acquires the image from VK_QUEUE_FAMILY_EXTERNAL, copies, releases it again in the
/// shared layout. `bytes` must be width * height * texel size (Validation otherwise).
/// The texture needs TransferDst usage; colour formats only.
///
/// `waits` and `signals` go into the submission (e.g. from TextureSync); the function then
/// waits for the submission's fence, at most kGpuWaitTimeout: a wait for a value nobody
/// will signal ends in Timeout (and the copy's resources are leaked, not destroyed while
/// in use). Wait on the CPU with a timeout first (TextureSync::wait_for_texture) when the
/// signaller could die.
[[nodiscard]] Result<void> upload(VulkanSharedTexture& texture, std::span<const std::uint8_t> bytes,
                                  std::span<const VkSemaphoreSubmitInfo> waits = {},
                                  std::span<const VkSemaphoreSubmitInfo> signals = {});
/// upload() for texels whose rows lie `row_pitch` bytes apart in `bytes` (a multiple of the
/// texel size, at least width * texel size; the padding after each row is not read).
/// `bytes` must hold at least row_pitch * (height - 1) + width * texel size bytes
/// (Validation otherwise). Waits, signals and failures as upload(). Its own name, not an
/// overload: `upload(texture, bytes, {}, signals)` must never mean a row pitch of 0.
[[nodiscard]] Result<void> upload_rows(VulkanSharedTexture& texture,
                                       std::span<const std::uint8_t> bytes, std::uint32_t row_pitch,
                                       std::span<const VkSemaphoreSubmitInfo> waits = {},
                                       std::span<const VkSemaphoreSubmitInfo> signals = {});
/// Reads mip 0, layer 0 back into tightly packed texels, the same way. Needs TransferSrc.
[[nodiscard]] Result<std::vector<std::uint8_t>> readback(
    VulkanSharedTexture& texture, std::span<const VkSemaphoreSubmitInfo> waits = {},
    std::span<const VkSemaphoreSubmitInfo> signals = {});

/// The acquire barrier from VK_QUEUE_FAMILY_EXTERNAL in the shared layout (or from
/// UNDEFINED for a texture never accessed) into `layout`, for mip and layer ranges of the
/// whole image.
[[nodiscard]] VkImageMemoryBarrier2 acquire_barrier(const VulkanSharedTexture& texture,
                                                    VkImageLayout layout,
                                                    VkPipelineStageFlags2 stages,
                                                    VkAccessFlags2 access) noexcept;
/// The release barrier from `layout` to VK_QUEUE_FAMILY_EXTERNAL in the shared layout.
[[nodiscard]] VkImageMemoryBarrier2 release_barrier(const VulkanSharedTexture& texture,
                                                    VkImageLayout layout,
                                                    VkPipelineStageFlags2 stages,
                                                    VkAccessFlags2 access) noexcept;

}  // namespace geyser::vulkan
