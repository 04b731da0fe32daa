// Protocol v2's shared memory: the frame board, where a sender announces each frame once for
// every receiver, and the receiver pages, where each receiver claims and releases frames.
// Byte layouts are in docs/protocol.md ("Shared memory"); this is one implementation.
//
// The board is written only by its sender (SharedAccess::CreatorWrites: no receiver can
// write it). A receiver page is written by one receiver and read by the sender, which
// treats every value in it as untrusted.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "geyser/error.hpp"
#include "geyser/ipc/shared_memory.hpp"
#include "geyser/shared_wake.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc {

/// "GYSB" and "GYSP" as little-endian u32s: a board and a receiver page.
inline constexpr std::uint32_t kBoardMagic = 0x42535947;
inline constexpr std::uint32_t kPageMagic = 0x50535947;
/// The layout version of both (the protocol version that introduced them).
inline constexpr std::uint16_t kBoardVersion = 2;
inline constexpr std::size_t kBoardSize = 4096;
inline constexpr std::size_t kPageSize = 4096;
/// Records kept on the board: the newest frame and the seven before it.
inline constexpr std::uint32_t kBoardRecords = 8;
inline constexpr std::uint32_t kRecordSize = 320;
/// Slots a board and a page describe (the most a stream has).
inline constexpr std::uint32_t kBoardSlots = 16;
/// Most bytes of application metadata a frame carries.
inline constexpr std::size_t kMaxFrameMetadata = 256;
/// Under fan-out, a receiver that learns of a frame this long after it was published,
/// having waited since before, reports a late wake on its page (docs/protocol.md,
/// "Fan-out").
inline constexpr std::chrono::milliseconds kFanOutLate{2};
/// A receiver page's sleepers word (docs/protocol.md, "Sleepers"): bit 31 says that the
/// receiver counts there the threads that may be asleep on the board, bit 30 that it wants
/// every publish's wake anyway (a thread of its own waits there all the time), and the low
/// 30 bits are that count. The sender may skip a publish's wake only when every page holds
/// exactly kSleepersCounted.
inline constexpr std::uint32_t kSleepersCounted = 0x80000000u;
inline constexpr std::uint32_t kSleepersAlwaysWake = 0x40000000u;

/// One announced frame, as written and as read back.
struct FrameRecord {
  std::uint64_t sequence = 0;  ///< its sequence number on the board (set by newest())
  std::uint64_t generation = 0;
  std::uint64_t frame = 0;
  std::uint64_t timeline_value = 0;
  std::uint64_t timestamp_ns = 0;
  std::uint32_t slot = 0;
  std::uint32_t layout = 0;
  std::uint32_t metadata_size = 0;  ///< as written; the reader checks it is <= 256
  std::array<std::uint8_t, kMaxFrameMetadata> metadata{};
  [[nodiscard]] std::span<const std::uint8_t> metadata_bytes() const noexcept {
    return {metadata.data(), metadata_size <= kMaxFrameMetadata ? metadata_size : 0};
  }
};

/// The sender's board.
class BoardWriter {
 public:
  [[nodiscard]] static Result<BoardWriter> create();
  /// A handle for a receiver (it can only read the board).
  [[nodiscard]] Result<UniqueHandle> share() const { return memory_.share(); }

  /// Announces `record` as the next sequence number, then wakes every waiter: itself, or
  /// under fan-out by waking one, whom the board obliges to wake the others.
  void publish(const FrameRecord& record) noexcept;
  /// publish() in its two steps, for a sender that skips the wake when no receiver may be
  /// asleep: announce() stores the record and the published word (seq_cst); then read
  /// every ReceiverPage::may_sleep(), and call wake_published() if any is true.
  void announce(const FrameRecord& record) noexcept;
  void wake_published() noexcept;
  /// Fan-out on or off (the board's word that receivers read): on, a publish costs the
  /// sender one wake-up however many receivers wait. Off wakes anyone left on the fan-out
  /// word. The sender turns it on for two receivers or more (docs/protocol.md, "Fan-out").
  void set_fan_out(bool on) noexcept;
  [[nodiscard]] bool fan_out() const noexcept { return fan_out_; }
  /// Wakes every waiter without a new record, after a socket message was sent to a
  /// receiver or a connection was closed: adds 1 to the mail word first, so that receivers
  /// busy with frames know to read their socket (BoardReader::mail_count).
  void wake() noexcept;
  /// The frame now in `slot` (0: none, or being rewritten).
  void set_slot_frame(std::uint32_t slot, std::uint64_t frame) noexcept;
  [[nodiscard]] std::uint64_t slot_frame(std::uint32_t slot) const noexcept;
  [[nodiscard]] std::uint64_t published() const noexcept;

 private:
  BoardWriter(SharedMemory memory, SharedWake wake) noexcept
      : memory_(std::move(memory)), wake_(std::move(wake)) {}
  SharedMemory memory_;  // declared first: wake_ borrows its bytes
  SharedWake wake_;
  bool fan_out_ = false;
};

/// A receiver's view of its sender's board.
class BoardReader {
 public:
  /// Maps a board received in a StreamDescription. Consumes `handle`. Protocol unless it is
  /// a sealed, creator-only region of kBoardSize bytes with the board's magic and version.
  [[nodiscard]] static Result<BoardReader> open(UniqueHandle handle);

  /// The sequence number of the newest record (0: none yet).
  [[nodiscard]] std::uint64_t published() const noexcept;
  /// The newest record, read consistently; nullopt when there is none yet or when it was
  /// rewritten under every one of a few attempts (the next call tries again).
  [[nodiscard]] std::optional<FrameRecord> newest() const noexcept;
  [[nodiscard]] std::uint64_t slot_frame(std::uint32_t slot) const noexcept;
  /// Waits until the board changes (a record, or a wake for a socket message) or `timeout`.
  /// Under fan-out it then wakes the receivers the sender left to it, and counts a late
  /// wake (late_wakes) when it learnt of a publish kFanOutLate after it.
  [[nodiscard]] Result<void> wait(std::uint32_t seen_wake, std::chrono::nanoseconds timeout) const;
  /// Whether the sender fans out its wakes through the receivers (the board's word).
  [[nodiscard]] bool fan_out() const noexcept;
  /// Late wakes counted by wait() so far, in every thread: what the receiver reports on
  /// its page (ReceiverPage::report_late_wakes), so that the sender stops fanning out.
  [[nodiscard]] std::uint32_t late_wakes() const noexcept;
  /// The wake counter to pass to wait(): read it before looking at what you wait for.
  [[nodiscard]] std::uint32_t wake_count() const noexcept;
  /// The mail word: changes when the sender has sent a receiver a message or closed a
  /// connection since. A receiver that finds it unchanged and a new frame on the board need
  /// not read its socket (one system call less per frame).
  [[nodiscard]] std::uint32_t mail_count() const noexcept;
  /// Wakes every thread of this process waiting on this board (without changing it): how a
  /// receiver stops a thread of its own that waits there (SharedWake::wake_local).
  void wake_waiters() const noexcept;

 private:
  BoardReader(SharedMemory memory, SharedWake wake) noexcept
      : memory_(std::move(memory)), wake_(std::move(wake)) {}
  SharedMemory memory_;  // declared first: wake_ borrows its bytes
  SharedWake wake_;
  mutable std::uint32_t late_wakes_ = 0;  // through std::atomic_ref: waits of any thread
};

/// Bit 63 of a receiver page's released word: the frame was released without being read on
/// the receiver's device (frames stay below 2^62, so it never collides with one).
inline constexpr std::uint64_t kReleasedUnread = std::uint64_t{1} << 63;

/// A receiver page: per slot, the frame the receiver claimed and the frame it released.
/// Both sides map it writable; the sender only reads it.
class ReceiverPage {
 public:
  /// The sender makes one per receiver connection.
  [[nodiscard]] static Result<ReceiverPage> create();
  /// The receiver maps the one its StreamDescription carried. Consumes `handle`.
  [[nodiscard]] static Result<ReceiverPage> open(UniqueHandle handle);
  [[nodiscard]] Result<UniqueHandle> share() const { return memory_.share(); }

  void claim(std::uint32_t slot, std::uint64_t frame) noexcept;
  /// `unread`: the receiver did not read the frame on its device, so nothing orders the
  /// sender's rewrite after it (kReleasedUnread in the word; docs/protocol.md).
  void release(std::uint32_t slot, std::uint64_t frame, bool unread = false) noexcept;
  [[nodiscard]] std::uint64_t claimed(std::uint32_t slot) const noexcept;
  /// The frame of the released word (without the flag).
  [[nodiscard]] std::uint64_t released(std::uint32_t slot) const noexcept;
  /// The released word as stored: the frame, and kReleasedUnread when it was not read.
  [[nodiscard]] std::uint64_t released_word(std::uint32_t slot) const noexcept;
  /// The receiver's count of late wakes under fan-out (BoardReader::late_wakes); the
  /// sender stops fanning out when any receiver's is not 0.
  void report_late_wakes(std::uint32_t count) noexcept;
  [[nodiscard]] std::uint32_t late_wakes() const noexcept;

  /// The receiver's side of the sleepers word. count_sleepers() says that it counts them
  /// (and, with `always_wake`, that it wants every wake anyway); a thread calls
  /// begin_sleep() before it reads the board's wake count for a wait, and end_sleep() once
  /// it is done waiting. All sequentially consistent.
  void count_sleepers(bool always_wake) noexcept;
  void begin_sleep() noexcept;
  void end_sleep() noexcept;
  /// The sender's side: whether a thread of this receiver may be asleep on the board, so
  /// that a publish must wake (anything but exactly kSleepersCounted; untrusted: a
  /// receiver that lies only misses its own wakes, or costs the sender one).
  [[nodiscard]] bool may_sleep() const noexcept;

 private:
  explicit ReceiverPage(SharedMemory memory) noexcept : memory_(std::move(memory)) {}
  SharedMemory memory_;
};

}  // namespace geyser::ipc
