#include "geyser/host/receiver.hpp"

#include <algorithm>

#include "receiver_backend.hpp"

namespace geyser::host {

std::span<const std::byte> HostFrame::row(std::uint32_t y) const noexcept {
  const std::size_t tight = std::size_t{width} * format_info(format).texel_size;
  return bytes.subspan(std::size_t{y} * row_pitch, tight);
}

std::vector<std::uint8_t> HostFrame::packed() const {
  const std::size_t tight = std::size_t{width} * format_info(format).texel_size;
  std::vector<std::uint8_t> out(tight * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    const auto source = row(y);
    std::transform(source.begin(), source.end(),
                   out.begin() + static_cast<std::ptrdiff_t>(y * tight),
                   [](std::byte b) { return static_cast<std::uint8_t>(b); });
  }
  return out;
}

Result<Receiver> Receiver::connect(std::string name, std::chrono::milliseconds timeout,
                                   const channel::ReceiverOptions& options) {
  channel::ReceiverOptions host_options = options;
  host_options.transfer = TransferRequest::Host;
  GEYSER_TRY(auto core,
             channel::ReceiverCore::connect(std::make_unique<detail::HostReceiverBackend>(),
                                            std::move(name), timeout, host_options));
  return Receiver(std::move(core));
}

HostFrame frame_view(const channel::FrameLease& lease) {
  const auto& slot = static_cast<const detail::HostSlot&>(*lease.slot_import);
  HostFrame frame;
  frame.frame = lease.frame;
  frame.generation = lease.generation;
  frame.timestamp_ns = lease.timestamp_ns;
  frame.connection = lease.connection;
  frame.width = slot.descriptor.width;
  frame.height = slot.descriptor.height;
  frame.format = slot.descriptor.format;
  frame.row_pitch = slot.row_pitch;
  frame.bytes = slot.memory.bytes().first(std::size_t{slot.row_pitch} * frame.height);
  frame.metadata = lease.metadata;
  return frame;
}

Result<HostFrame> Receiver::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(const channel::FrameLease lease, core_.acquire(timeout));
  return frame_view(lease);
}

Result<void> Receiver::release() {
  return core_.release();
}

NativeHandle Receiver::native_event_handle() const noexcept {
  return core_.native_event_handle();
}
channel::ReceiverState Receiver::state() const noexcept {
  return core_.state();
}
channel::ReceiverStats Receiver::stats() const noexcept {
  return core_.stats();
}
const TextureDescriptor& Receiver::descriptor() const noexcept {
  return core_.descriptor();
}
const ColorDescription& Receiver::color() const noexcept {
  return core_.color();
}
const std::string& Receiver::name() const noexcept {
  return core_.name();
}

}  // namespace geyser::host
