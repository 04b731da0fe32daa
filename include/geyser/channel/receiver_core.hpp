// ReceiverCore: connects to a named channel and follows its newest frame across sender
// restarts, importing slots through a backend. Backend-neutral: the typed fronts
// (vulkan::Receiver, ...) wrap it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/color.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"

namespace geyser::channel {

/// Options for connecting to a channel.
struct ReceiverOptions {
  /// The runtime directory; empty: ipc::runtime_dir(). Used only when `transport` is empty.
  std::filesystem::path runtime_dir;
  /// Where to connect; empty: ipc::default_transport(runtime_dir).
  std::shared_ptr<ipc::Transport> transport;
  /// How long release() waits for the GPU in `cpu` sync mode before failing; acquire()
  /// waits for an announced frame to be written for its own timeout, but at least 100 ms
  /// (host frames are announced before their copy ends), capped by this.
  std::chrono::milliseconds gpu_timeout{10000};
  /// How long a new connection waits for the sender's stream description, over as many
  /// acquire() calls as it takes, before it is dropped and tried again.
  std::chrono::milliseconds handshake_timeout{2000};
  /// Which senders to accept, by the credentials the OS recorded for the connection
  /// (default: this user only). Anyone who can create the socket could otherwise pose as the
  /// channel's sender and make this process import its memory; another sender is
  /// PermissionDenied, naming its pid and uid.
  ipc::PeerPolicy peers;
  /// Zero-copy or host frames (docs/host-frames.md). Auto: zero-copy when the sender's device
  /// is this receiver's, host frames otherwise, where the backend takes them
  /// (ReceiverBackend::imports_host_frames; a backend that does not asks for zero-copy only,
  /// and Host is then Unsupported).
  TransferRequest transfer = TransferRequest::Auto;
  /// How long acquire() watches the board for the next frame before it sleeps, while frames
  /// have been coming sooner than this: then neither side pays a kernel wake-up per frame
  /// (the sender skips the wake of a receiver that is not asleep; docs/protocol.md,
  /// "Sleepers"). A receiver whose last wait was longer sleeps at once. 0: always sleep.
  /// Never on a machine with one CPU.
  std::chrono::microseconds spin{20};
};

/// Where a receiver stands.
enum class ReceiverState : std::uint8_t {
  Connected,     ///< connected and has the stream description
  Waiting,       ///< connected, no stream description yet
  Disconnected,  ///< the sender is gone; acquire() tries to reconnect
};
[[nodiscard]] std::string_view to_string(ReceiverState state) noexcept;

/// A frame the receiver holds. `slot_import` is the backend's ImportedSlot: it stays valid
/// while it is held, even after the sender died.
struct FrameLease {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint64_t timestamp_ns = 0;      ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;        ///< which connection (1, 2, ... across reconnects)
  std::vector<std::uint8_t> metadata;  ///< what the sender gave present() (at most 256 bytes)
  std::shared_ptr<ImportedSlot> slot_import;
};

/// Figures about a receiver.
struct ReceiverStats {
  std::uint64_t frames_acquired = 0;
  std::uint64_t frames_skipped = 0;  ///< presented but superseded before acquire
  std::uint64_t reconnects = 0;
  std::uint64_t imports = 0;  ///< slots imported (once per generation and slot)
  /// Newest frames this receiver found on the board but could not claim: the sender had
  /// already taken their slot back to rewrite it (a newer frame follows).
  std::uint64_t claims_lost = 0;
  /// Times acquire() read the socket (a system call). Not while frames keep coming and the
  /// sender has nothing to say: then none per frame.
  std::uint64_t socket_reads = 0;
  SyncMode sync_mode = SyncMode::Cpu;
  Transfer transfer = Transfer::Device;  ///< what the sender gives this receiver
  /// How the frames' texels lie: Linear for a linear stream (SenderOptions::tiling) and
  /// for host frames, rows `row_pitch` bytes apart; Optimal (row_pitch 0) otherwise.
  Tiling tiling = Tiling::Optimal;
  std::uint32_t row_pitch = 0;
};

/// A connection to a channel over a ReceiverBackend and a transport. Thread-safety: none;
/// use it from one thread; native_event_handle() may be watched from another. Move-only.
class ReceiverCore {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender to publish it and answer.
  /// Disconnected when no sender appears in time; DeviceMismatch or Unsupported when the
  /// sender's slots cannot be imported by `backend`.
  [[nodiscard]] static Result<ReceiverCore> connect(std::unique_ptr<ReceiverBackend> backend,
                                                    std::string name,
                                                    std::chrono::milliseconds timeout,
                                                    const ReceiverOptions& options = {});

  /// The newest frame on the sender's board since the last acquire, waiting at most
  /// `timeout` for one (a receiver that reads slower than the sender gets the newest frame
  /// each time, never a stale or torn one). Releases the frame held before. When the
  /// sender is gone: Disconnected, keeping the held frame valid; the next calls reconnect
  /// when a sender publishes the name again. Timeout when no new frame came.
  /// `submission`: who puts the frame's device-side wait on the queue (ReadSubmission);
  /// `held_release`: how the frame held now is given back when a new one replaces it (as
  /// release() would).
  [[nodiscard]] Result<FrameLease> acquire(std::chrono::milliseconds timeout,
                                           ReadSubmission submission = ReadSubmission::Backend,
                                           ReadSubmission held_release = ReadSubmission::Backend);
  /// Gives the held frame back to the sender (after the reads submitted so far). Nothing to
  /// do when none is held. `submission`: who put the release signal on the queue
  /// (Application: the application's last submission that read the frame signalled it).
  [[nodiscard]] Result<void> release(ReadSubmission submission = ReadSubmission::Backend);
  /// The frame held now, if any (valid after the sender died).
  [[nodiscard]] const FrameLease* held() const noexcept;

  /// Readable while the sender has sent something (a frame, a new generation, its close):
  /// call acquire(0) then. While Disconnected it stays quiet: call acquire() now and then
  /// to look for a restarted sender. Owned by the receiver; stable for its lifetime.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] ReceiverState state() const noexcept;
  [[nodiscard]] ReceiverStats stats() const noexcept;
  /// The current stream's texture descriptor (valid once Connected).
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// What the current stream's texels mean (valid once Connected).
  [[nodiscard]] const ColorDescription& color() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] ReceiverBackend& backend() const noexcept;

  ReceiverCore(ReceiverCore&&) noexcept;
  ReceiverCore& operator=(ReceiverCore&&) noexcept;
  ReceiverCore(const ReceiverCore&) = delete;
  ReceiverCore& operator=(const ReceiverCore&) = delete;
  ~ReceiverCore();

 private:
  struct State;
  explicit ReceiverCore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace geyser::channel
