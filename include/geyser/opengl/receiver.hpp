// opengl::Receiver: connects to a named channel and imports its textures into the OpenGL
// context current on the calling thread. The OpenGL front of channel::ReceiverCore.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geyser/channel/receiver_core.hpp"
#include "geyser/error.hpp"
#include "geyser/opengl/texture.hpp"

namespace geyser::opengl {

/// A frame the receiver holds: a GL texture name (GL_TEXTURE_2D, immutable storage over the
/// sender's memory) to sample or read from until release() or the next acquire(). It stays
/// valid while the Receiver lives and holds it, even after the sender died. The GL commands
/// issued in this context after acquire() see the written frame (a GPU wait in `gpu` mode,
/// a CPU wait in `cpu` mode); do not write to it.
struct ReceivedFrame {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint64_t timestamp_ns = 0;      ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;        ///< which connection (1, 2, ... across reconnects)
  std::vector<std::uint8_t> metadata;  ///< what the sender gave present() (at most 256 bytes)
  std::uint32_t texture = 0;           ///< the GL texture name
  const GlTexture* gl = nullptr;       ///< its import (descriptor, GL formats)
  std::shared_ptr<channel::ImportedSlot> keep_alive;  ///< holds the import; internal
};

/// A connection to channel `name` in the current GL context. Create, use and destroy it on
/// one thread with the same context (or one sharing its objects) current: its textures and
/// semaphores are that context's objects. Sync mode: `gpu` where the context imports
/// Vulkan timeline semaphores (opengl::can_import_timeline_semaphores: NVIDIA), `cpu`
/// otherwise (llvmpipe). Move-only.
class Receiver {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender. Validation with no current
  /// context; Unsupported when it lacks GL_EXT_memory_object_fd; DeviceMismatch when the
  /// sender's device is not the context's (the UUIDs of opengl::current_identity()).
  [[nodiscard]] static Result<Receiver> connect(std::string name, std::chrono::milliseconds timeout,
                                                const channel::ReceiverOptions& options = {});

  /// The newest frame since the last acquire, waiting at most `timeout` (as
  /// vulkan::Receiver::acquire). Releases the frame held before.
  [[nodiscard]] Result<ReceivedFrame> acquire(std::chrono::milliseconds timeout);
  /// Gives the held frame back after the GL commands issued so far: in `gpu` mode a
  /// semaphore signal queued after them, in `cpu` mode a CPU wait for them (at most
  /// ReceiverOptions::gpu_timeout) and a CPU signal. Nothing to do when none is held.
  [[nodiscard]] Result<void> release();
  /// The frame held now, if any; valid until the next call on this receiver.
  [[nodiscard]] const ReceivedFrame* held() const noexcept;

  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::ReceiverState state() const noexcept;
  [[nodiscard]] channel::ReceiverStats stats() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] const ColorDescription& color() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] channel::ReceiverCore& core() noexcept { return core_; }

 private:
  explicit Receiver(channel::ReceiverCore core) noexcept : core_(std::move(core)) {}
  channel::ReceiverCore core_;
  mutable std::optional<ReceivedFrame> held_;
};

}  // namespace geyser::opengl
