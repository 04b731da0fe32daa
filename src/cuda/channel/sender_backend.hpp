// Internal: the CUDA producer backend of the channel core. The ring is allocated and
// exported by a hidden Vulkan device of the CUDA device's GPU and imported into CUDA; a
// frame is announced from CUDA: a signal of each gpu receiver's ready timeline (imported
// into CUDA) queued on the sender's stream after the writes, or, for cpu receivers, a
// bounded wait for the stream and then their CpuTimelines.
#pragma once

#include <memory>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/cuda/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/host_slot_writer.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::cuda::detail {

class CudaSenderBackend final : public channel::SenderBackend {
 public:
  /// A backend on `context` (which must outlive it): its stream and its Vulkan twin.
  [[nodiscard]] static Result<std::unique_ptr<CudaSenderBackend>> create(const Context& context);
  ~CudaSenderBackend() override;

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override { return context_->info().name; }
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

  /// Slot `slot`'s CUDA import (valid until the next create_slots).
  [[nodiscard]] const ImportedArray* texture(std::size_t slot) const noexcept;
  [[nodiscard]] CUstream stream() const noexcept { return stream_.get(); }
  [[nodiscard]] std::string vulkan_device_name() const { return device_->name(); }

 private:
  struct Slot {
    std::unique_ptr<vulkan::VulkanSharedTexture> vk;
    TextureShareHandle handle;  // exported once per ring; duplicated per receiver
    std::unique_ptr<ImportedArray> cuda;
  };
  CudaSenderBackend(const Context& context, Stream stream, std::unique_ptr<vulkan::Device> device)
      : context_(&context),
        stream_(std::move(stream)),
        device_(std::move(device)),
        manager_(*device_),
        host_(*device_) {}

  const Context* context_;
  Stream stream_;
  std::unique_ptr<vulkan::Device> device_;
  vulkan::VulkanTextureShareManager manager_;
  std::vector<Slot> slots_;
  vulkan::HostSlotWriter host_;  // on the twin
  // Links of closed connections: destroyed once the stream has run past their last signal.
  std::vector<std::unique_ptr<channel::ProducerLink>> retired_;
};

}  // namespace geyser::cuda::detail
