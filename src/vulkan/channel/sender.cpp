// vulkan::Sender: SenderCore over VulkanSenderBackend, with typed frames.
#include "geyser/vulkan/sender.hpp"

#include "sender_backend.hpp"

namespace geyser::vulkan {

Result<Sender> Sender::publish(const Device& device, std::string name,
                               const TextureDescriptor& desc,
                               const channel::SenderOptions& options) {
  GEYSER_TRY(auto backend, detail::VulkanSenderBackend::create(device, options.tiling));
  detail::VulkanSenderBackend* typed = backend.get();
  GEYSER_TRY(auto core,
             channel::SenderCore::publish(std::move(backend), std::move(name), desc, options));
  return Sender(std::move(core), typed);
}

Result<SenderFrame> Sender::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(const channel::SlotLease lease, core_.acquire(timeout));
  return SenderFrame{lease.frame, lease.slot, lease.generation, backend_->texture(lease.slot)};
}

Result<void> Sender::present(const SenderFrame& frame, std::span<const std::uint8_t> metadata) {
  return core_.present(channel::SlotLease{frame.frame, frame.slot, frame.generation}, metadata);
}

Result<std::span<const VkSemaphoreSubmitInfo>> Sender::present_signals(const SenderFrame& frame) {
  if (auto handed = backend_->handed_over(frame.frame)) return *handed;
  const channel::SlotLease lease{frame.frame, frame.slot, frame.generation};
  GEYSER_TRY(const std::vector<channel::ProducerLink*> links, core_.hand_over_signals(lease));
  return backend_->hand_over(frame.frame, links);
}

void Sender::cancel(const SenderFrame& frame) noexcept {
  backend_->forget_handed_over();
  core_.cancel(channel::SlotLease{frame.frame, frame.slot, frame.generation});
}

Result<std::uint64_t> Sender::write(std::span<const std::uint8_t> bytes,
                                    std::chrono::milliseconds timeout,
                                    std::span<const std::uint8_t> metadata) {
  return core_.write(bytes, timeout, metadata);
}

Result<void> Sender::resize(const TextureDescriptor& desc) {
  return core_.resize(desc);
}

Result<void> Sender::resize(const TextureDescriptor& desc, const ColorDescription& color) {
  return core_.resize(desc, color);
}

Result<void> Sender::poll(std::chrono::milliseconds timeout) {
  return core_.poll(timeout);
}

NativeHandle Sender::native_event_handle() const noexcept {
  return core_.native_event_handle();
}
channel::SenderStats Sender::stats() const {
  return core_.stats();
}
const std::string& Sender::name() const noexcept {
  return core_.name();
}
const TextureDescriptor& Sender::descriptor() const noexcept {
  return core_.descriptor();
}

}  // namespace geyser::vulkan
