// host::Sender: SenderCore over HostSenderBackend, with the slots' bytes as frames.
#include "geyser/host/sender.hpp"

#include "sender_backend.hpp"

namespace geyser::host {

Result<Sender> Sender::publish(std::string name, const TextureDescriptor& desc,
                               const channel::SenderOptions& options) {
  if (options.tiling != Tiling::Optimal) {
    return fail(ErrorCode::Unsupported,
                "host::Sender: linear device slots are made by Vulkan senders only; a host "
                "sender's frames reach receivers as host frames, always rows at a pitch");
  }
  auto backend = std::make_unique<detail::HostSenderBackend>();
  detail::HostSenderBackend* typed = backend.get();
  GEYSER_TRY(auto core,
             channel::SenderCore::publish(std::move(backend), std::move(name), desc, options));
  return Sender(std::move(core), typed);
}

Result<SenderFrame> Sender::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(const channel::SlotLease lease, core_.acquire(timeout));
  const TextureDescriptor& desc = backend_->descriptor();
  const auto pitch = static_cast<std::uint32_t>(desc.width * format_info(desc.format).texel_size);
  return SenderFrame{
      lease.frame, lease.slot, lease.generation, desc, backend_->slot_bytes(lease.slot), pitch};
}

Result<void> Sender::present(const SenderFrame& frame, std::span<const std::uint8_t> metadata) {
  return core_.present(channel::SlotLease{frame.frame, frame.slot, frame.generation}, metadata);
}

void Sender::cancel(const SenderFrame& frame) noexcept {
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

}  // namespace geyser::host
