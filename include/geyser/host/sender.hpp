// host::Sender: publishes a channel whose frames the CPU writes into host memory
// (docs/host-frames.md, "The host sender"). Needs no GPU: for software renderers, CPU
// decoders, and processes where no GPU export exists. Its slots are this process's own
// memory, so every receiver takes host frames (host::Receiver reads them, a Vulkan
// receiver uploads them); a receiver that takes zero-copy only is refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "geyser/channel/sender_core.hpp"
#include "geyser/color.hpp"
#include "geyser/error.hpp"
#include "geyser/texture.hpp"

namespace geyser::host {

namespace detail {
class HostSenderBackend;
}

/// A slot the application writes the next frame into (from Sender::acquire).
struct SenderFrame {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  TextureDescriptor descriptor;
  /// The slot's texels, tightly packed (row `y` at `y * row_pitch`), writable until
  /// present() or cancel(). Owned by the sender.
  std::span<std::byte> bytes;
  std::uint32_t row_pitch = 0;  ///< width x texel size
};

/// Publishes channel `name` from host memory. Thread-safety: none; use it from one thread
/// (call poll() when not presenting, so that receivers get answers). Move-only; destroying
/// it unpublishes the name. Receivers that misbehave are dropped; the others carry on.
/// Each present copies the frame once into the shared host slots while any receiver is
/// connected (a memcpy per row), and not at all without receivers.
class Sender {
 public:
  /// Publishes `name` with frames described by `desc`. Validation for a bad name,
  /// descriptor or slot count, or when a live sender holds the name; Unsupported for what
  /// host frames cannot carry (a depth format, several mips or layers) and for
  /// SenderOptions::tiling Linear (a Vulkan sender's device slots).
  [[nodiscard]] static Result<Sender> publish(std::string name, const TextureDescriptor& desc,
                                              const channel::SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one
  /// (Timeout otherwise). Write the frame into its bytes, then call present().
  [[nodiscard]] Result<SenderFrame> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame written into `frame.bytes`, with up to 256 bytes of `metadata`.
  [[nodiscard]] Result<void> present(const SenderFrame& frame,
                                     std::span<const std::uint8_t> metadata = {});
  /// Gives an acquired slot back unwritten, announcing nothing.
  void cancel(const SenderFrame& frame) noexcept;
  /// acquire + a copy of `bytes` (tightly packed) + present; the frame number.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout,
                                            std::span<const std::uint8_t> metadata = {});
  /// Starts a new generation with frames described by `desc`: receivers re-map.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  /// The same, with a new colour description.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc, const ColorDescription& color);
  /// Accepts receivers, answers listers, reads what receivers sent; waits at most `timeout`.
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Readable while there is work for poll(). Owned by the sender.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// The backend-neutral sender underneath.
  [[nodiscard]] channel::SenderCore& core() noexcept { return core_; }

 private:
  Sender(channel::SenderCore core, detail::HostSenderBackend* backend) noexcept
      : core_(std::move(core)), backend_(backend) {}
  channel::SenderCore core_;
  detail::HostSenderBackend* backend_;  // owned by core_
};

}  // namespace geyser::host
