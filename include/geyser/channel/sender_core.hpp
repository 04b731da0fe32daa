// SenderCore: publishes a named stream of frames over a ring of slots that a backend
// allocates. Backend-neutral: the typed fronts (vulkan::Sender, ...) wrap it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/color.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"

namespace geyser::channel {

/// Options for publishing a channel.
struct SenderOptions {
  /// Slots in the ring at first, 2..16. A receiver holds at most two frames (the one it
  /// reads and the one it moves to in acquire), so the ring grows, by a new generation, to
  /// 2 x receivers + 1 slots (at most 16) as receivers connect, and does not shrink: a
  /// receiver that stops reading then never stalls the sender or the other receivers (up to
  /// 7 receivers; beyond, a stopped one can delay the others).
  std::uint32_t slots = 3;
  /// Which peers may connect (default: this user only).
  ipc::PeerPolicy peers;
  /// The runtime directory; empty: ipc::runtime_dir() ($GEYSER_RUNTIME_DIR, ...). Used
  /// only when `transport` is empty.
  std::filesystem::path runtime_dir;
  /// Where to publish; empty: ipc::default_transport(runtime_dir).
  std::shared_ptr<ipc::Transport> transport;
  /// How long one socket message to a receiver (a stream description, an error) may wait.
  std::chrono::milliseconds send_timeout{50};
  /// What the texels mean, in every stream description (change it with resize()).
  ColorDescription color;
  /// The slots' tiling (texture.hpp): Optimal for graphics consumers; Linear for a stream of
  /// rows at a pitch, which CUDA receivers get as plain device pointers (a Vulkan sender's
  /// linear images; other senders refuse Linear with Unsupported). The stream description
  /// says which, with the row pitch.
  Tiling tiling = Tiling::Optimal;
  /// How long present() waits for the GPU in `cpu` sync mode before failing.
  std::chrono::milliseconds gpu_timeout{10000};
  /// Connections accepted but not yet identified (no Hello or DescribeRequest yet), at
  /// least 1. Beyond it new connections are closed at once and counted in
  /// dropped_connections, so that peers that connect and say nothing cannot exhaust
  /// descriptors; a refused receiver sees Disconnected and retries.
  std::uint32_t max_pending_connections = 16;
  /// How long a connection may stay unidentified, above zero: then it is dropped (told
  /// Timeout), which frees its place among max_pending_connections.
  std::chrono::milliseconds hello_timeout{2000};
  /// Receivers served at once, at least 1. A Hello beyond it is refused (Unsupported, the
  /// receiver's connect fails) and counted in dropped_connections. Each receiver costs a
  /// link (two timelines) per slot and can grow the ring, which reaches its 16 slots at 8.
  std::uint32_t max_receivers = 16;
};

/// Messages one poll reads from one peer at most: a peer that keeps sending is read a
/// bounded share per poll, so it cannot starve the others or the caller.
inline constexpr std::size_t kMaxMessagesPerPeerPerPoll = 64;

/// A slot the application writes the next frame into (from SenderCore::acquire).
struct SlotLease {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
};

/// Figures about a sender.
struct SenderStats {
  std::uint64_t frames = 0;          ///< frames presented
  double fps = 0.0;                  ///< presents per second over the last second or so
  std::uint32_t receivers = 0;       ///< connected receivers
  std::uint32_t host_receivers = 0;  ///< those of them that take host frames
  std::uint64_t generation = 0;
  SyncMode sync_mode = SyncMode::Cpu;  ///< the mode this sender offers (per receiver it may be cpu)
  std::uint64_t dropped_connections = 0;  ///< receivers dropped for protocol errors or refused
  /// Whether the last present woke one receiver and left it to wake the others (two
  /// receivers or more, until one reports a late wake; docs/protocol.md, "Fan-out").
  bool fan_out = false;
  /// Presents that woke nobody: every receiver's page said none of its threads was asleep
  /// on the board (they were looking at it, or spinning; docs/protocol.md, "Sleepers").
  std::uint64_t wakes_skipped = 0;
};

/// Publishes a channel over a SenderBackend and a transport. Thread-safety: none; use it
/// from one thread (all transport work happens inside acquire(), present(), resize() and
/// poll()); native_event_handle() may be watched from another. Move-only; destroying it
/// unpublishes the name and receivers see Disconnected. Receivers that misbehave
/// (malformed messages, a wrong uid, another device) are logged and dropped; the sender
/// and the other receivers carry on.
class SenderCore {
 public:
  /// Publishes `name` (ipc::validate_channel_name) with slots described by `desc` made by
  /// `backend`. Validation for a bad name, descriptor or slot count, or when a live sender
  /// holds the name.
  [[nodiscard]] static Result<SenderCore> publish(std::unique_ptr<SenderBackend> backend,
                                                  std::string name, const TextureDescriptor& desc,
                                                  const SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one
  /// (Timeout otherwise). The application writes the frame into it, then calls present().
  [[nodiscard]] Result<SlotLease> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame (SenderBackend::present), then publishes it on the frame board for
  /// every receiver at once, with up to ipc::kMaxFrameMetadata (256) bytes of `metadata`
  /// delivered with it (Validation beyond). On a failure the slot goes back to the ring and
  /// its frame number is not used again (the next acquire gets a higher one).
  [[nodiscard]] Result<void> present(const SlotLease& lease,
                                     std::span<const std::uint8_t> metadata = {});
  /// The links of the zero-copy `gpu` receivers that present(lease) would signal now, for a
  /// backend front that lets the application signal them in its own submission (for
  /// Vulkan, Sender::present_signals): present() then leaves them to it and signals only
  /// the receivers that got new links since. The lease's frame number is spent from here
  /// on: cancel() does not hand it out again. Validation when `lease` is not the slot
  /// acquired last.
  [[nodiscard]] Result<std::vector<ProducerLink*>> hand_over_signals(const SlotLease& lease);
  /// Gives an acquired slot back unwritten (nothing is announced).
  void cancel(const SlotLease& lease) noexcept;
  /// acquire + SenderBackend::write + present: `bytes` (tightly packed) as the next frame.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout,
                                            std::span<const std::uint8_t> metadata = {});
  /// Starts a new generation with slots described by `desc`: receivers re-import.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  /// The same, with a new colour description.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc, const ColorDescription& color);
  /// Accepts receivers, answers listers, reads what receivers sent (releases are words on
  /// their pages, read by acquire); waits at most `timeout` for something to happen and
  /// returns after the first activity (it does not pace).
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Readable while a receiver or lister is waiting to connect or has sent something (a
  /// Hello, a Goodbye, its close): call poll(0) then. Owned by the sender; stable for its lifetime.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] SenderBackend& backend() const noexcept;

  SenderCore(SenderCore&&) noexcept;
  SenderCore& operator=(SenderCore&&) noexcept;
  SenderCore(const SenderCore&) = delete;
  SenderCore& operator=(const SenderCore&) = delete;
  ~SenderCore();

 private:
  struct State;
  explicit SenderCore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace geyser::channel
