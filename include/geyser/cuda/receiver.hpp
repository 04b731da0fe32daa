// cuda::Receiver: connects to a named channel and imports its textures into CUDA. The CUDA
// front of channel::ReceiverCore (docs/interop-cuda.md, "Receiving a channel").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cuda.h>

#include "geyser/channel/receiver_core.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

/// A frame the receiver holds, readable by work queued on `stream` (after acquire() queued
/// the wait for the sender's write there) until release(). The CUDA objects stay valid while
/// the Receiver lives and holds the frame, even after the sender died.
struct ReceivedFrame {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint64_t timestamp_ns = 0;      ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;        ///< which connection (1, 2, ... across reconnects)
  std::vector<std::uint8_t> metadata;  ///< what the sender gave present() (at most 256 bytes)
  TextureDescriptor descriptor;
  /// How the slot's texels lie: Optimal (a CUDA array) or Linear (a device pointer).
  Tiling tiling = Tiling::Optimal;
  /// Optimal slots: level 0 as a CUDA array and a surface object on it. Owned by the
  /// receiver; null for linear slots.
  CUarray array = nullptr;
  CUsurfObject surface = 0;
  /// Linear slots (a sender with SenderOptions::tiling Linear): `descriptor.height` rows of
  /// `row_pitch` bytes at `data`, device memory a kernel reads directly (a tensor with no
  /// copy). Owned by the receiver; 0 for optimal slots.
  CUdeviceptr data = 0;
  std::uint64_t row_pitch = 0;
  /// The receiver's stream: queue the work that reads the frame on it, or make your
  /// stream wait for an event recorded on it and record one back before release().
  CUstream stream = nullptr;
  std::shared_ptr<channel::ImportedSlot> keep_alive;  ///< holds the import; internal
};

/// The DeviceIdentity this process says Hello with for `context`'s device: the one a
/// Vulkan device of the same GPU reports (geyser/cuda/identity.hpp; the channel core
/// compares driver and device UUIDs, and CUDA has no driver UUID). Lists the Vulkan
/// devices (vulkan::list_physical_devices); Unsupported when none is that GPU.
[[nodiscard]] Result<DeviceIdentity> hello_identity(const Context& context);

/// A connection to channel `name` on a CUDA device. Thread-safety: none; use it from one
/// thread; native_event_handle() may be watched from another. Move-only.
///
/// Sync modes: in `gpu` mode acquire() queues a wait for the sender's ready timeline on the
/// receiver's stream and release() a signal of the released timeline after the work queued
/// there (no CPU wait). In `cpu` mode acquire() waits on the CPU for the sender's
/// CpuTimeline, and release() waits for the stream (bounded by
/// ReceiverOptions::gpu_timeout) before signalling on the CPU.
class Receiver {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender to publish it and answer.
  /// `context` must outlive the Receiver. Disconnected when no sender appears in time;
  /// DeviceMismatch when the sender's textures live on another GPU; Unsupported when no
  /// Vulkan device is this GPU (hello_identity), or the stream's format has no CUDA array
  /// format. Optimal and linear streams are both imported (ReceivedFrame::tiling).
  [[nodiscard]] static Result<Receiver> connect(const Context& context, std::string name,
                                                std::chrono::milliseconds timeout,
                                                const channel::ReceiverOptions& options = {});

  /// The newest frame since the last acquire, waiting at most `timeout` for one; releases
  /// the frame held before. Disconnected when the sender is gone (the held frame stays
  /// valid; later calls reconnect); Timeout when no new frame came. In `gpu` mode the
  /// last frame of a sender that went away is not kept (CUDA cannot wait for an imported
  /// semaphore on the CPU with a bound).
  [[nodiscard]] Result<ReceivedFrame> acquire(std::chrono::milliseconds timeout);
  /// Gives the held frame back to the sender after the work queued on the receiver's stream
  /// so far. Nothing to do when none is held.
  [[nodiscard]] Result<void> release();
  /// The frame held now, if any. Valid until the next call on this receiver.
  [[nodiscard]] const ReceivedFrame* held() const noexcept;

  /// The stream frames are read on (owned by the receiver).
  [[nodiscard]] CUstream stream() const noexcept;
  /// Readable while the sender has sent something: call acquire(0) then.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::ReceiverState state() const noexcept;
  [[nodiscard]] channel::ReceiverStats stats() const noexcept;
  /// The current stream's texture descriptor (valid once Connected).
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] const ColorDescription& color() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  /// The backend-neutral receiver underneath.
  [[nodiscard]] channel::ReceiverCore& core() noexcept { return core_; }

 private:
  Receiver(channel::ReceiverCore core, CUstream stream) noexcept
      : core_(std::move(core)), stream_(stream) {}
  channel::ReceiverCore core_;
  CUstream stream_;                            // the backend's, which the core owns
  mutable std::optional<ReceivedFrame> held_;  // what held() points at
};

}  // namespace geyser::cuda
