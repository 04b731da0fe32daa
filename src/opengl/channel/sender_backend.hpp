// Internal: the OpenGL producer backend of the channel core. Slots are allocated and
// exported by a hidden Vulkan device with the GL context's UUIDs and imported into the
// context; a frame is announced by GL itself: a signal of each gpu receiver's ready
// timeline (imported into GL) queued after the application's drawing, or, for cpu
// receivers, a GL fence waited for on the CPU and then their CpuTimelines.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/opengl/fence.hpp"
#include "geyser/opengl/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/host_slot_writer.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::opengl::detail {

class GlSenderBackend final : public channel::SenderBackend {
 public:
  /// A backend in the current context. Validation with none; Unsupported without
  /// GL_EXT_memory_object_fd; vulkan_twin's errors.
  [[nodiscard]] static Result<std::unique_ptr<GlSenderBackend>> create();
  ~GlSenderBackend() override;

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override;
  [[nodiscard]] SyncCapabilities sync_capabilities() const override { return caps_; }
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

  /// Slot `slot`'s GL texture (valid until the next create_slots).
  [[nodiscard]] const GlTexture* texture(std::size_t slot) const noexcept;
  /// The hidden Vulkan device's name.
  [[nodiscard]] std::string vulkan_device_name() const { return device_->name(); }

 private:
  struct Slot {
    std::unique_ptr<vulkan::VulkanSharedTexture> vk;
    TextureShareHandle handle;  // exported once per ring; duplicated per receiver
    GlTexture gl;
  };
  using Links = std::vector<std::unique_ptr<channel::ProducerLink>>;

  GlSenderBackend(std::unique_ptr<vulkan::Device> device, std::string renderer, bool gl_timelines);

  std::unique_ptr<vulkan::Device> device_;
  vulkan::VulkanTextureShareManager manager_;
  std::string renderer_;
  SyncCapabilities caps_;
  std::vector<Slot> slots_;
  vulkan::HostSlotWriter host_;  // on the twin
  // Links of closed connections, each with a fence after the last signal GL queued on
  // their semaphores; declared after slots_ (links point at the slots' textures).
  std::vector<std::pair<GlFence, Links>> retired_;
};

}  // namespace geyser::opengl::detail
