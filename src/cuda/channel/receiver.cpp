// cuda::Receiver: ReceiverCore over CudaReceiverBackend, with typed frames.
#include "geyser/cuda/receiver.hpp"

#include <utility>

#include "receiver_backend.hpp"

namespace geyser::cuda {
namespace {

ReceivedFrame typed(const channel::FrameLease& lease, CUstream stream) {
  ReceivedFrame out;
  out.frame = lease.frame;
  out.generation = lease.generation;
  out.slot = lease.slot;
  out.timestamp_ns = lease.timestamp_ns;
  out.connection = lease.connection;
  out.metadata = lease.metadata;
  const detail::CudaImportedSlot& slot = detail::as_cuda_slot(*lease.slot_import);
  if (slot.buffer) {
    out.tiling = Tiling::Linear;
    out.descriptor = slot.buffer->descriptor();
    out.data = slot.buffer->pointer();
    out.row_pitch = slot.buffer->row_pitch();
  } else {
    out.descriptor = slot.texture->descriptor();
    out.array = slot.texture->array();
    out.surface = slot.texture->surface();
  }
  out.stream = stream;
  out.keep_alive = lease.slot_import;
  return out;
}

}  // namespace

Result<Receiver> Receiver::connect(const Context& context, std::string name,
                                   std::chrono::milliseconds timeout,
                                   const channel::ReceiverOptions& options) {
  GEYSER_TRY(const DeviceIdentity identity, hello_identity(context));
  GEYSER_TRY(auto backend, detail::CudaReceiverBackend::create(context, identity));
  const CUstream stream = backend->stream();
  GEYSER_TRY(auto core,
             channel::ReceiverCore::connect(std::move(backend), std::move(name), timeout, options));
  return Receiver(std::move(core), stream);
}

Result<ReceivedFrame> Receiver::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(auto lease, core_.acquire(timeout));
  return typed(lease, stream_);
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
  held_ = typed(*lease, stream_);
  return &*held_;
}

CUstream Receiver::stream() const noexcept {
  return stream_;
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

}  // namespace geyser::cuda
