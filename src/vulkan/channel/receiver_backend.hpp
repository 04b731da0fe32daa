// Internal: the Vulkan consumer backend of the channel core: imports slots on one
// vulkan::Device and brackets the application's reads with semaphore-only submissions
// (gpu mode; none when the application submits them itself) or CPU waits and signals (cpu mode).
// Host frames (a sender on another device, or TransferRequest::Host) are uploaded from the
// mapped host slot into a texture of this device when a frame is begun.
#pragma once

#include <memory>
#include <optional>

#include "../staging_buffer.hpp"
#include "geyser/channel/backend.hpp"
#include "geyser/ipc/shared_memory.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"

namespace geyser::vulkan::detail {

/// One imported slot: its texture and its TextureSync with the sender. For host frames the
/// texture is this device's own, and `host` the mapped host slot it is uploaded from.
struct VulkanImportedSlot final : channel::ImportedSlot {
  std::unique_ptr<VulkanSharedTexture> texture;
  std::optional<TextureSync> sync;  // declared after: destroyed before the texture
  std::optional<ipc::SharedMemory> host;
  std::uint32_t row_pitch = 0;
  // Host frames: the staging buffer every upload of this slot goes through, made by the
  // first one (a buffer allocated per frame cost milliseconds on the H200).
  std::unique_ptr<StagingBuffer> staging;
};

class VulkanReceiverBackend final : public channel::ReceiverBackend {
 public:
  /// A backend on `device`, which must outlive it.
  explicit VulkanReceiverBackend(const Device& device) : device_(&device), manager_(device) {}

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override;
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
  [[nodiscard]] bool imports_host_frames() const noexcept override { return true; }
  [[nodiscard]] Result<std::shared_ptr<channel::ImportedSlot>> import_slot(
      channel::SlotImport slot) override;
  [[nodiscard]] Result<void> begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                        std::chrono::milliseconds timeout,
                                        channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                      std::chrono::milliseconds timeout,
                                      channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> skip(channel::ImportedSlot& slot, std::uint64_t frame) override;
  [[nodiscard]] Result<void> wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                          std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> finish(std::chrono::milliseconds timeout) override;
  void wait_idle() noexcept override;

 private:
  // A host slot: mapped, with a texture of this device to upload it into.
  Result<std::shared_ptr<channel::ImportedSlot>> import_host_slot(channel::SlotImport slot);
  // A semaphore-only submission that signals the slot's release timeline to `frame`.
  Result<void> signal_released(TextureSync& sync, std::uint64_t frame);

  const Device* device_;
  VulkanTextureShareManager manager_;
};

/// The Vulkan import behind an ImportedSlot made by VulkanReceiverBackend.
[[nodiscard]] inline VulkanImportedSlot& as_vulkan_slot(channel::ImportedSlot& slot) noexcept {
  return static_cast<VulkanImportedSlot&>(slot);
}

}  // namespace geyser::vulkan::detail
