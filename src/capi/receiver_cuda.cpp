// The CUDA end of geyser_receiver: cuda::Receiver on a device's primary context, frames as
// CUDA arrays or (linear streams) device pointers, ordered with the consumer's streams.
#include <algorithm>
#include <vector>

#include "geyser/cuda/copy.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/format.hpp"
#include "receiver.hpp"

namespace geyser::capi {
namespace {

class CudaEnd final : public ReceiverEnd {
 public:
  CudaEnd(SharedDevice device, cuda::Receiver receiver, cuda::StreamOrder order)
      : device_(std::move(device)), receiver_(std::move(receiver)), order_(std::move(order)) {}

  Result<void> acquire(std::chrono::milliseconds timeout, geyser_frame& out) override {
    GEYSER_TRY_VOID(wait_for_consumers());
    GEYSER_TRY(cuda::ReceivedFrame frame, receiver_.acquire(timeout));
    out.cuda_array = frame.array;
    out.cuda_data = frame.data;
    out.cuda_stream = frame.stream;
    out.cuda_ordinal = ordinal();
    return {};
  }
  Result<void> release() override {
    GEYSER_TRY_VOID(wait_for_consumers());
    return receiver_.release();
  }
  channel::ReceiverCore& core() override { return receiver_.core(); }

  Result<void> cuda_wait(void* stream) override {
    GEYSER_TRY(const cuda::ReceivedFrame* frame, held());
    auto consumer = static_cast<CUstream>(stream);
    GEYSER_TRY_VOID(order_.order_after(consumer, frame->stream));
    if (std::find(consumers_.begin(), consumers_.end(), consumer) == consumers_.end()) {
      consumers_.push_back(consumer);
    }
    return {};
  }

  Result<CudaRows> cuda_rows() override {
    GEYSER_TRY(const cuda::ReceivedFrame* frame, held());
    if (frame->tiling == Tiling::Linear)
      return CudaRows{frame->data, frame->row_pitch, frame->keep_alive, ordinal()};
    const TextureDescriptor& desc = frame->descriptor;
    const std::uint64_t pitch = std::uint64_t{desc.width} * format_info(desc.format).texel_size;
    if (copied_frame_ != frame->frame || copied_connection_ != frame->connection) {
      GEYSER_TRY_VOID(ensure_buffer(pitch * desc.height));
      GEYSER_TRY_VOID(
          cuda::copy_rows(context(), frame->array, desc, copy_->get(), pitch, frame->stream));
      copied_frame_ = frame->frame;
      copied_connection_ = frame->connection;
    }
    return CudaRows{copy_->get(), pitch, copy_, ordinal()};
  }

 private:
  const cuda::Context& context() const { return *device_->cuda; }
  int ordinal() const { return context().info().ordinal; }

  Result<const cuda::ReceivedFrame*> held() const {
    const cuda::ReceivedFrame* frame = receiver_.held();
    if (frame == nullptr) return fail(ErrorCode::Validation, "the CUDA receiver holds no frame");
    return frame;
  }

  // The optimal stream's copy: reused while large enough, else a new one (views of the old
  // one keep it until they go).
  Result<void> ensure_buffer(std::uint64_t bytes) {
    if (copy_ && copy_->size() >= bytes) return {};
    GEYSER_TRY(auto buffer, cuda::DeviceBuffer::allocate(context(), bytes));
    copy_ = std::make_shared<cuda::DeviceBuffer>(std::move(buffer));
    return {};
  }

  // The held frame goes back only after what its consumers queued on their streams.
  Result<void> wait_for_consumers() {
    const cuda::ReceivedFrame* frame = receiver_.held();
    std::vector<CUstream> consumers = std::move(consumers_);
    consumers_.clear();
    if (frame == nullptr) return {};
    for (CUstream consumer : consumers) {
      GEYSER_TRY_VOID(order_.order_after(frame->stream, consumer));
    }
    return {};
  }

  SharedDevice device_;  // before receiver_: destroyed after it
  cuda::Receiver receiver_;
  cuda::StreamOrder order_;          // the consumers' streams and the frame's
  std::vector<CUstream> consumers_;  // streams given to cuda_wait since the acquire
  std::shared_ptr<cuda::DeviceBuffer> copy_;
  std::uint64_t copied_frame_ = 0;
  std::uint64_t copied_connection_ = 0;
};

}  // namespace

Result<std::unique_ptr<ReceiverEnd>> connect_cuda(const geyser_device* handle,
                                                  const std::string& name,
                                                  std::chrono::milliseconds timeout,
                                                  const channel::ReceiverOptions& options) {
  GEYSER_TRY(SharedDevice device, device_for(handle, GEYSER_API_CUDA));
  GEYSER_TRY(auto receiver, cuda::Receiver::connect(*device->cuda, name, timeout, options));
  GEYSER_TRY(auto order, cuda::StreamOrder::create(*device->cuda));
  return std::make_unique<CudaEnd>(std::move(device), std::move(receiver), std::move(order));
}

}  // namespace geyser::capi
