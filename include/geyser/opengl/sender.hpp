// opengl::Sender: publishes a named stream whose frames an OpenGL application draws into
// GL textures. The OpenGL front of channel::SenderCore.
//
// GL cannot allocate exportable memory, so the ring's textures are allocated by a hidden
// Vulkan device of the same driver and device as the current context (matching UUIDs) and
// imported into the context; receivers of every API import them as from a Vulkan sender.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "geyser/channel/sender_core.hpp"
#include "geyser/error.hpp"
#include "geyser/opengl/texture.hpp"

namespace geyser::opengl {

namespace detail {
class GlSenderBackend;
}

/// A slot the application draws the next frame into (from Sender::acquire).
struct SenderFrame {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  std::uint32_t texture = 0;      ///< the GL texture name (GL_TEXTURE_2D, immutable storage)
  const GlTexture* gl = nullptr;  ///< its import (descriptor, GL formats)
};

/// Publishes channel `name` from the GL context current on the calling thread. Create, use
/// and destroy it on one thread with that context (or one sharing its objects) current.
/// Like vulkan::Sender otherwise: call poll() when not presenting; receivers that misbehave
/// are dropped and the others carry on. Move-only.
class Sender {
 public:
  /// Publishes `name` with textures described by `desc`. Validation with no current context
  /// or a bad name or descriptor; Unsupported when the context lacks
  /// GL_EXT_memory_object_fd or no Vulkan device has the context's UUIDs (DeviceMismatch
  /// when Vulkan sees devices but none is the context's).
  [[nodiscard]] static Result<Sender> publish(std::string name, const TextureDescriptor& desc,
                                              const channel::SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one.
  [[nodiscard]] Result<SenderFrame> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame drawn with the GL commands issued so far: `gpu` receivers get a
  /// semaphore signal queued after them, for `cpu` receivers GL's commands are waited for
  /// first (at most SenderOptions::gpu_timeout). `metadata`: at most 256 bytes.
  [[nodiscard]] Result<void> present(const SenderFrame& frame,
                                     std::span<const std::uint8_t> metadata = {});
  /// Gives an acquired slot back unwritten.
  void cancel(const SenderFrame& frame) noexcept;
  /// acquire + write_pixels + present.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout,
                                            std::span<const std::uint8_t> metadata = {});
  /// A new generation with textures described by `desc` (waits for GL to finish first).
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  /// Accepts receivers and reads what they sent (vulkan::Sender::poll).
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// The name of the hidden Vulkan device the textures are allocated on.
  [[nodiscard]] std::string vulkan_device_name() const;
  [[nodiscard]] channel::SenderCore& core() noexcept { return core_; }

 private:
  Sender(channel::SenderCore core, detail::GlSenderBackend* backend) noexcept
      : core_(std::move(core)), backend_(backend) {}
  channel::SenderCore core_;
  detail::GlSenderBackend* backend_;  // owned by core_
};

}  // namespace geyser::opengl
