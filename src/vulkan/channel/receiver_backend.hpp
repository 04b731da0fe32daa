// Internal: the Vulkan consumer backend of the channel core: imports slots on one
// vulkan::Device and brackets the application's reads with semaphore-only submissions
// (gpu mode; none when the application submits them itself) or CPU waits and signals (cpu mode).
#pragma once

#include <memory>
#include <optional>

#include "geyser/channel/backend.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"

namespace geyser::vulkan::detail {

/// One imported slot: its texture and its TextureSync with the sender.
struct VulkanImportedSlot final : channel::ImportedSlot {
  std::unique_ptr<VulkanSharedTexture> texture;
  std::optional<TextureSync> sync;  // declared after: destroyed before the texture
};

class VulkanReceiverBackend final : public channel::ReceiverBackend {
 public:
  /// A backend on `device`, which must outlive it.
  explicit VulkanReceiverBackend(const Device& device) : device_(&device), manager_(device) {}

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override;
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
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
