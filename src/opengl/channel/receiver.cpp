// opengl::Receiver: ReceiverCore over GlReceiverBackend, with GL texture names as frames.
#include "geyser/opengl/receiver.hpp"

#include "receiver_backend.hpp"

namespace geyser::opengl {
namespace {

ReceivedFrame typed(const channel::FrameLease& lease) {
  ReceivedFrame out;
  out.frame = lease.frame;
  out.generation = lease.generation;
  out.slot = lease.slot;
  out.timestamp_ns = lease.timestamp_ns;
  out.connection = lease.connection;
  out.metadata = lease.metadata;
  const GlTexture& texture = detail::as_gl_slot(*lease.slot_import).texture;
  out.texture = texture.texture();
  out.gl = &texture;
  out.keep_alive = lease.slot_import;
  return out;
}

}  // namespace

Result<Receiver> Receiver::connect(std::string name, std::chrono::milliseconds timeout,
                                   const channel::ReceiverOptions& options) {
  GEYSER_TRY(auto backend, detail::GlReceiverBackend::create());
  GEYSER_TRY(auto core,
             channel::ReceiverCore::connect(std::move(backend), std::move(name), timeout, options));
  return Receiver(std::move(core));
}

Result<ReceivedFrame> Receiver::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(const channel::FrameLease lease, core_.acquire(timeout));
  return typed(lease);
}

Result<void> Receiver::release() {
  return core_.release();
}

const ReceivedFrame* Receiver::held() const noexcept {
  const channel::FrameLease* lease = core_.held();
  if (lease == nullptr) {
    held_.reset();
    return nullptr;
  }
  held_ = typed(*lease);
  return &*held_;
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

}  // namespace geyser::opengl
