// The CUDA end of geyser_sender: cuda::Sender on a device's primary context, slots as CUDA
// arrays, and writes from device memory ordered with the caller's stream.
#include "geyser/cuda/copy.hpp"
#include "geyser/cuda/sender.hpp"
#include "geyser/cuda/stream.hpp"
#include "sender.hpp"

namespace geyser::capi {
namespace {

class CudaEnd final : public TypedEnd<cuda::Sender, cuda::SenderFrame> {
 public:
  using TypedEnd::TypedEnd;

  // The slot's stream waits for the caller's, copies, presents; then the caller's stream
  // waits for the copy, so that the caller may free or rewrite `data` as usual.
  Result<std::uint64_t> write_cuda(std::uint64_t data, std::uint64_t pitch, void* stream,
                                   std::chrono::milliseconds timeout) override {
    const cuda::Context& context = *device()->cuda;
    auto caller = static_cast<CUstream>(stream);
    GEYSER_TRY(cuda::SenderFrame frame, sender().acquire(timeout));
    auto written = copy(context, frame, data, pitch, caller);
    if (!written) {
      sender().cancel(frame);
      return tl::unexpected(std::move(written).error());
    }
    GEYSER_TRY_VOID(sender().present(frame));
    return frame.frame;
  }

 private:
  static Result<void> copy(const cuda::Context& context, const cuda::SenderFrame& frame,
                           std::uint64_t data, std::uint64_t pitch, CUstream caller) {
    GEYSER_TRY_VOID(cuda::order_after(context, frame.stream, caller));
    GEYSER_TRY_VOID(
        cuda::copy_rows(context, data, pitch, frame.array, frame.descriptor, frame.stream));
    return cuda::order_after(context, caller, frame.stream);
  }
  void fill(const cuda::SenderFrame& frame, geyser_slot& out) const override {
    out.cuda_array = frame.array;
    out.cuda_surface = frame.surface;
    out.cuda_stream = frame.stream;
  }
};

}  // namespace

Result<std::unique_ptr<SenderEnd>> publish_cuda(const geyser_device* handle,
                                                const std::string& name,
                                                const TextureDescriptor& desc,
                                                const channel::SenderOptions& options) {
  GEYSER_TRY(SharedDevice device, device_for(handle, GEYSER_API_CUDA));
  GEYSER_TRY(auto sender, cuda::Sender::publish(*device->cuda, name, desc, options));
  return std::make_unique<CudaEnd>(std::move(device), std::move(sender));
}

}  // namespace geyser::capi
