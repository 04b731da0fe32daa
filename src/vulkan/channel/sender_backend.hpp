// Internal: the Vulkan producer backend of the channel core: a ring of exportable
// textures on one vulkan::Device, TextureSync links, and a private progress timeline that
// says when the device is done with a closed connection's semaphores.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <vulkan/vulkan.h>

#include "geyser/channel/backend.hpp"
#include "geyser/vulkan/host_slot_writer.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan::detail {

class VulkanSenderBackend final : public channel::SenderBackend {
 public:
  /// A backend on `device`, which must outlive it, whose slots are `tiling` images. Internal
  /// when the progress timeline cannot be made.
  [[nodiscard]] static Result<std::unique_ptr<VulkanSenderBackend>> create(
      const Device& device, Tiling tiling = Tiling::Optimal);
  ~VulkanSenderBackend() override;

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override;
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
  [[nodiscard]] bool shares_device_slots() const noexcept override { return true; }
  [[nodiscard]] Result<void> create_slots(const TextureDescriptor& desc,
                                          std::size_t count) override;
  [[nodiscard]] const TextureShareHandle& slot_export(std::size_t slot) const override;
  [[nodiscard]] Result<std::unique_ptr<channel::ProducerLink>> create_link(std::size_t slot,
                                                                           SyncMode mode) override;
  [[nodiscard]] Result<void> present(std::size_t slot, std::uint64_t frame,
                                     std::span<channel::ProducerLink* const> links,
                                     std::chrono::milliseconds timeout) override;
  void retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) override;
  void collect() override;
  [[nodiscard]] Result<void> write(std::size_t slot, std::span<const std::uint8_t> bytes) override;
  [[nodiscard]] Result<void> set_host_slots(
      std::span<const channel::HostSlotMemory> slots) override;
  [[nodiscard]] Result<void> copy_to_host(std::size_t slot,
                                          std::chrono::milliseconds timeout) override;

  /// Slot `slot`'s texture (valid until the next create_slots).
  [[nodiscard]] VulkanSharedTexture* texture(std::size_t slot) const noexcept;
  /// The signals announcing `frame` to `links` (SenderCore::hand_over_signals) and one of
  /// the progress timeline, for the application's own submission; the same span again
  /// when called again for the same frame. Valid until the next frame's.
  [[nodiscard]] std::span<const VkSemaphoreSubmitInfo> hand_over(
      std::uint64_t frame, std::span<channel::ProducerLink* const> links);
  /// The signals hand_over gave out for `frame`, if it did and the frame was neither
  /// presented nor cancelled since.
  [[nodiscard]] std::optional<std::span<const VkSemaphoreSubmitInfo>> handed_over(
      std::uint64_t frame) const noexcept;
  /// The frame handed over was cancelled (present() forgets it by itself).
  void forget_handed_over() noexcept { handed_frame_ = 0; }

 private:
  VulkanSenderBackend(const Device& device, Tiling tiling)
      : device_(&device), tiling_(tiling), manager_(device), host_(device) {}
  struct Slot {
    std::unique_ptr<VulkanSharedTexture> texture;
    TextureShareHandle handle;  // exported once per ring; duplicated per receiver
  };
  using Links = std::vector<std::unique_ptr<channel::ProducerLink>>;
  // A signal of progress_ with the next value, counted as submitted.
  VkSemaphoreSubmitInfo next_progress_signal();

  const Device* device_;
  Tiling tiling_;
  VulkanTextureShareManager manager_;
  std::vector<Slot> slots_;
  HostSlotWriter host_;
  // Declared after slots_: links point at the slots' textures. Each with the progress value
  // after which the device no longer uses its semaphores.
  std::vector<std::pair<std::uint64_t, Links>> retired_;
  // Signalled by every signal submission, ours or the application's (hand_over), with the
  // next value: a link retired after value v was named is unused once it reaches v.
  VkSemaphore progress_ = VK_NULL_HANDLE;
  std::uint64_t progress_value_ = 0;
  std::uint64_t handed_frame_ = 0;  // the frame the signals in handed_ announce
  std::vector<VkSemaphoreSubmitInfo> handed_;
};

}  // namespace geyser::vulkan::detail
