// host::Receiver: takes a channel's frames as read-only mappings of shared host memory
// (docs/host-frames.md). Needs no GPU: for recorders, encoders, numpy, CPU-side pipelines,
// and receivers whose GPU is not the sender's (they upload from the mapping).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geyser/channel/receiver_core.hpp"
#include "geyser/color.hpp"
#include "geyser/error.hpp"
#include "geyser/texture.hpp"

namespace geyser::host {

/// A frame the receiver holds: `bytes` maps the host slot read-only, rows `row_pitch` bytes
/// apart (width x texel size, rounded up to kHostRowAlignment), valid until release() or
/// the next acquire(), even after the sender died.
struct HostFrame {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint64_t timestamp_ns = 0;  ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;    ///< which connection (1, 2, ... across reconnects)
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  TextureFormat format = TextureFormat::Rgba8Unorm;
  std::uint32_t row_pitch = 0;
  std::span<const std::byte> bytes;    ///< row_pitch x height bytes
  std::vector<std::uint8_t> metadata;  ///< what the sender gave present() (at most 256 bytes)

  /// Row `y`'s width x texel size bytes.
  [[nodiscard]] std::span<const std::byte> row(std::uint32_t y) const noexcept;
  /// The texels tightly packed (a copy).
  [[nodiscard]] std::vector<std::uint8_t> packed() const;
};

/// The host frame of `lease`, which a host::Receiver's core handed out (core().acquire(),
/// core().held()). Only for such leases: their slots are host slots.
[[nodiscard]] HostFrame frame_view(const channel::FrameLease& lease);

/// A connection to channel `name` that takes host frames. Thread-safety: none; use it from
/// one thread; native_event_handle() may be watched from another. Move-only.
class Receiver {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender to publish it and answer.
  /// Always asks for host frames (options.transfer is ignored). Disconnected when no sender
  /// appears in time; Unsupported when the sender cannot copy its frames to the host (a
  /// device without VK_EXT_external_memory_host, a depth format).
  [[nodiscard]] static Result<Receiver> connect(std::string name, std::chrono::milliseconds timeout,
                                                const channel::ReceiverOptions& options = {});

  /// The newest frame since the last acquire, waiting at most `timeout` for one; releases
  /// the frame held before. Disconnected when the sender is gone (the held frame stays
  /// valid; later calls reconnect); Timeout when no new frame came.
  [[nodiscard]] Result<HostFrame> acquire(std::chrono::milliseconds timeout);
  /// Gives the held frame back to the sender. Nothing to do when none is held.
  [[nodiscard]] Result<void> release();

  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::ReceiverState state() const noexcept;
  [[nodiscard]] channel::ReceiverStats stats() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] const ColorDescription& color() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  /// The backend-neutral receiver underneath.
  [[nodiscard]] channel::ReceiverCore& core() noexcept { return core_; }

 private:
  explicit Receiver(channel::ReceiverCore core) : core_(std::move(core)) {}
  channel::ReceiverCore core_;
};

}  // namespace geyser::host
