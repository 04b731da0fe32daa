// Sender: publishes a named stream of frames over a ring of shared textures.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "geyser/error.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::channel {

/// Options for Sender::publish.
struct SenderOptions {
  /// Textures in the ring at first, 2..16. A receiver holds at most two frames (the one it
  /// reads and one given but not yet acquired), so the ring grows, by a new generation, to
  /// 2 x receivers + 1 slots (at most 16) as receivers connect, and does not shrink: a
  /// receiver that stops reading then never stalls the sender or the other receivers (up to
  /// 7 receivers; beyond, a stopped one can delay the others).
  std::uint32_t slots = 3;
  /// Which peers may connect (default: this user only).
  ipc::PeerPolicy peers;
  /// The runtime directory; empty: ipc::runtime_dir() ($GEYSER_RUNTIME_DIR, ...).
  std::filesystem::path runtime_dir;
  /// How long one send to a receiver may wait before that receiver is skipped for the frame.
  std::chrono::milliseconds send_timeout{50};
  /// How long present() waits for the GPU in `cpu` sync mode before failing.
  std::chrono::milliseconds gpu_timeout{10000};
};

/// A slot the application renders the next frame into (from Sender::acquire).
struct SenderFrame {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  /// The texture: in the shared layout, owned by VK_QUEUE_FAMILY_EXTERNAL (acquire it with
  /// vulkan::acquire_barrier, release it with vulkan::release_barrier, or use vulkan::upload).
  vulkan::VulkanSharedTexture* texture = nullptr;
};

/// Figures about a sender.
struct SenderStats {
  std::uint64_t frames = 0;     ///< frames presented
  double fps = 0.0;             ///< presents per second over the last second or so
  std::uint32_t receivers = 0;  ///< connected receivers
  std::uint64_t generation = 0;
  SyncMode sync_mode = SyncMode::Cpu;  ///< the mode this sender offers (per receiver it may be cpu)
  std::uint64_t dropped_connections = 0;  ///< receivers dropped for protocol errors or refused
};

/// Publishes channel `name`: a ring of exportable textures and a socket receivers connect
/// to. Single-threaded: all socket work happens inside acquire(), present(), resize() and
/// poll(); call poll() now and then when not presenting, so that receivers get answers.
/// Move-only; destroying it unpublishes the name, and receivers see Disconnected.
/// Receivers that misbehave (malformed messages, a wrong uid, another device) are logged and
/// dropped; the sender and the other receivers carry on.
class Sender {
 public:
  /// Publishes `name` (ipc::validate_channel_name) with textures described by `desc` on
  /// `device`, which must outlive the Sender. Validation for a bad name, descriptor or
  /// slot count, or when the name is already published by a live sender.
  [[nodiscard]] static Result<Sender> publish(const vulkan::Device& device, std::string name,
                                              const TextureDescriptor& desc,
                                              const SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one
  /// (Timeout otherwise). The application writes the frame into it, then calls present().
  [[nodiscard]] Result<SenderFrame> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame. The application's writes must have been submitted to the
  /// device's queue before. `gpu` receivers are given a semaphore signal submitted after
  /// them (no CPU wait); for `cpu` receivers the queue is drained first.
  [[nodiscard]] Result<void> present(const SenderFrame& frame);
  /// acquire + vulkan::upload + present: writes `bytes` (tightly packed) as the next frame.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout);
  /// Starts a new generation with textures described by `desc`: receivers re-import. Waits
  /// for the queue to be idle first.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  /// Accepts receivers, answers listers, reads releases; waits at most `timeout` for
  /// something to happen and returns after the first activity (it does not pace: loop on it
  /// until your frame time is up).
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  [[nodiscard]] SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;

  Sender(Sender&&) noexcept;
  Sender& operator=(Sender&&) noexcept;
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  ~Sender();

 private:
  struct State;
  explicit Sender(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace geyser::channel
