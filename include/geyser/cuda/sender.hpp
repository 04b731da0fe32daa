// cuda::Sender: publishes a named stream whose frames CUDA writes (a kernel through the
// surface object, or cuda::upload). The CUDA front of channel::SenderCore.
//
// CUDA cannot allocate memory that Vulkan, OpenGL or another process imports as an image,
// so the ring lives on a hidden Vulkan device of the same GPU (the one whose deviceUUID is
// the CUDA device's UUID) and each slot is imported into CUDA as an array and a surface.
#pragma once

#include <cuda.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "geyser/channel/sender_core.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

namespace detail {
class CudaSenderBackend;
}

/// A slot CUDA writes the next frame into (from Sender::acquire).
struct SenderFrame {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  TextureDescriptor descriptor;
  CUarray array = nullptr;   ///< level 0 of the slot
  CUsurfObject surface = 0;  ///< a surface object on it, for surf2Dwrite
  /// The sender's stream: queue the writes on it (or make it wait for your stream's event)
  /// before present().
  CUstream stream = nullptr;
};

/// Publishes channel `name` from CUDA device `context`. Thread-safety: none; use it from
/// one thread. Like vulkan::Sender otherwise: call poll() when not presenting; receivers
/// that misbehave are dropped and the others carry on. Move-only.
///
/// Sync modes: `gpu` receivers get a signal of their ready timeline queued on the
/// sender's stream after the writes (no CPU wait); for `cpu` receivers the stream is
/// waited for first (at most SenderOptions::gpu_timeout).
class Sender {
 public:
  /// Publishes `name` with textures described by `desc` (`context` must outlive the
  /// Sender). Unsupported without a Vulkan device of this GPU or for a format with no CUDA
  /// array format; Validation for a bad name or descriptor.
  [[nodiscard]] static Result<Sender> publish(const Context& context, std::string name,
                                              const TextureDescriptor& desc,
                                              const channel::SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one.
  [[nodiscard]] Result<SenderFrame> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame written by the work queued on the sender's stream so far.
  [[nodiscard]] Result<void> present(const SenderFrame& frame,
                                     std::span<const std::uint8_t> metadata = {});
  /// Gives an acquired slot back unwritten.
  void cancel(const SenderFrame& frame) noexcept;
  /// acquire + cuda::upload of `bytes` (tightly packed) + present.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout,
                                            std::span<const std::uint8_t> metadata = {});
  /// A new generation with textures described by `desc` (waits for the stream first).
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// The stream frames are written on (owned by the sender).
  [[nodiscard]] CUstream stream() const noexcept;
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// The name of the hidden Vulkan device the ring is allocated on.
  [[nodiscard]] std::string vulkan_device_name() const;
  [[nodiscard]] channel::SenderCore& core() noexcept { return core_; }

 private:
  Sender(channel::SenderCore core, detail::CudaSenderBackend* backend) noexcept
      : core_(std::move(core)), backend_(backend) {}
  channel::SenderCore core_;
  detail::CudaSenderBackend* backend_;  // owned by core_
};

}  // namespace geyser::cuda
