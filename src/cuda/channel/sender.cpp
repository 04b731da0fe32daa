// cuda::Sender: SenderCore over CudaSenderBackend, with CUDA arrays as frames.
#include "geyser/cuda/sender.hpp"

#include "sender_backend.hpp"

namespace geyser::cuda {

Result<Sender> Sender::publish(const Context& context, std::string name,
                               const TextureDescriptor& desc,
                               const channel::SenderOptions& options) {
  if (options.tiling != Tiling::Optimal) {
    return fail(ErrorCode::Unsupported,
                "cuda::Sender: linear slots are made by Vulkan senders only; a CUDA sender's "
                "slots are optimal (CUDA arrays)");
  }
  GEYSER_TRY(auto backend, detail::CudaSenderBackend::create(context));
  detail::CudaSenderBackend* typed = backend.get();
  GEYSER_TRY(auto core,
             channel::SenderCore::publish(std::move(backend), std::move(name), desc, options));
  return Sender(std::move(core), typed);
}

Result<SenderFrame> Sender::acquire(std::chrono::milliseconds timeout) {
  GEYSER_TRY(const channel::SlotLease lease, core_.acquire(timeout));
  const ImportedArray* texture = backend_->texture(lease.slot);
  return SenderFrame{lease.frame,      lease.slot,         lease.generation,  texture->descriptor(),
                     texture->array(), texture->surface(), backend_->stream()};
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

Result<void> Sender::poll(std::chrono::milliseconds timeout) {
  return core_.poll(timeout);
}

CUstream Sender::stream() const noexcept {
  return backend_->stream();
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
std::string Sender::vulkan_device_name() const {
  return backend_->vulkan_device_name();
}

}  // namespace geyser::cuda
