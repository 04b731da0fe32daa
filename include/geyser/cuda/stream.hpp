// A CUDA stream Geyser orders shared-texture work on.
#pragma once

#include <chrono>
#include <memory>

#include <cuda.h>

#include "geyser/cuda/device.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

/// A non-blocking stream (CU_STREAM_NON_BLOCKING: it does not synchronize with the legacy
/// default stream) in a Context's primary context, which it keeps alive. Move-only.
class Stream {
 public:
  [[nodiscard]] static Result<Stream> create(const Context& context);

  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  /// Destroys the stream (cuStreamDestroy returns at once; the driver frees it after the
  /// work queued on it).
  ~Stream();

  [[nodiscard]] CUstream get() const noexcept;
  /// Waits without bound for everything queued so far (cuStreamSynchronize).
  [[nodiscard]] Result<void> synchronize() const;
  /// Waits at most `timeout` for everything queued so far; Timeout when it is still busy.
  /// The driver has no bounded stream wait, so this polls cuStreamQuery, backing off from
  /// 20 us to 1 ms between polls.
  [[nodiscard]] Result<void> wait(std::chrono::nanoseconds timeout) const;

 private:
  struct State;
  explicit Stream(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

/// Makes `waiter` wait (on the GPU) for the work queued on `signaller` so far: an event
/// recorded on `signaller` and waited for by `waiter` (cuEventRecord, cuStreamWaitEvent),
/// in `context`'s primary context. Either may be CU_STREAM_LEGACY or CU_STREAM_PER_THREAD,
/// as PyTorch and CuPy hand them over; nothing to do when they are the same stream.
[[nodiscard]] Result<void> order_after(const Context& context, CUstream waiter, CUstream signaller);

/// order_after for a caller that orders streams once or twice a frame: one event, made
/// once and recorded again for each ordering (a wait already queued keeps the event's
/// state of its own cuStreamWaitEvent call), instead of an event made and destroyed every
/// time. In `context`'s primary context, which it keeps alive. Move-only; one thread.
class StreamOrder {
 public:
  [[nodiscard]] static Result<StreamOrder> create(const Context& context);

  StreamOrder(StreamOrder&&) noexcept;
  StreamOrder& operator=(StreamOrder&&) noexcept;
  StreamOrder(const StreamOrder&) = delete;
  StreamOrder& operator=(const StreamOrder&) = delete;
  ~StreamOrder();

  /// Makes `waiter` wait for the work queued on `signaller` so far, as order_after does.
  [[nodiscard]] Result<void> order_after(CUstream waiter, CUstream signaller);

 private:
  struct State;
  explicit StreamOrder(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace geyser::cuda
