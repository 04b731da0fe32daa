// ReceiverCore: imports a sender's ring once per generation and follows its newest frame.
#include "geyser/channel/receiver_core.hpp"

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "board_relay.hpp"
#include "clock.hpp"
#include "geyser/ipc/event_set.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"

namespace geyser::channel {
namespace {

using detail::Clock;
using detail::remaining;
using std::chrono::milliseconds;

// Frame numbers a sender may use. A receiver waits (on its queue, in gpu mode) for the
// timeline value of each frame; a sender that jumped near the end of the 64-bit range
// could make that wait endless and wrap the count. 2^62 frames are 2.4 billion years at
// 60 Hz, so no honest sender reaches it.
constexpr std::uint64_t kFrameLimit = std::uint64_t{1} << 62;
// How long acquire() blocks on the frame board before it looks at its socket again: a
// sender that died without a word (no wake) is noticed within this.
constexpr milliseconds kBoardWaitSlice{10};
// An announced frame gets at least this long to be written, whatever the caller's timeout:
// host frames are announced before the sender's copy into them ends, and a consumer woken
// by the announcement that calls acquire(0) must not lose the frame to that copy.
constexpr milliseconds kWrittenGrace{100};

// A spin-wait's pause: lets the other hyperthread run and spares the memory bus.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

std::string_view to_string(ReceiverState state) noexcept {
  switch (state) {
    case ReceiverState::Connected: return "connected";
    case ReceiverState::Waiting: return "waiting";
    default: return "disconnected";
  }
}

struct ReceiverCore::State {
  std::unique_ptr<ReceiverBackend> backend;  // first: destroyed last
  ipc::EventSet events;
  std::string name;
  ReceiverOptions options;
  std::shared_ptr<ipc::Transport> transport;

  std::unique_ptr<ipc::Connection> connection;  // empty: disconnected
  std::uint64_t connection_id = 0;              // bumped on every connection
  bool have_stream = false;
  Clock::time_point hello_sent{};  // when this connection said Hello
  std::uint64_t generation = 0;
  TextureDescriptor desc;
  SyncMode mode = SyncMode::Cpu;
  ColorDescription color;
  std::shared_ptr<const ipc::BoardReader> board;  // where the sender announces frames
  std::optional<ipc::ReceiverPage> page;          // where we claim and release them
  std::unique_ptr<detail::BoardRelay> relay;      // made by native_event_handle()
  // One import per slot of this connection's generation (imported once, cached by
  // (connection, generation, slot): docs/architecture.md, rule 6).
  std::vector<std::shared_ptr<ImportedSlot>> slots;
  // Imports of earlier generations or connections, kept until the device is surely done.
  std::vector<std::shared_ptr<ImportedSlot>> retired;
  // How the held frame goes back when the acquire under way replaces it.
  ReadSubmission held_release = ReadSubmission::Backend;
  std::optional<FrameLease> held;
  struct LastWords {
    ipc::FrameRecord frame;
    std::shared_ptr<ImportedSlot> slot;
  };
  std::optional<LastWords> last_words;  // a frame presented right before the sender left
  std::uint64_t last_acquired = 0;      // frame number, for counting skipped frames
  std::uint64_t last_presented = 0;     // of this connection: frame numbers must rise
  std::uint64_t last_sequence = 0;      // the board record read last
  std::uint64_t first_frame = 1;        // frames below were presented before our links
  // The board's mail word when the socket was read last, and when that was: the two that
  // let a look skip the socket (socket_due).
  std::uint32_t mail_seen = 0;
  Clock::time_point socket_read_at{};
  // Whether this thread counts as a sleeper on our page now (begin_sleep without its
  // end_sleep), and how long acquire() last waited for the sender to present a frame (from
  // when it found nothing new to the frame's timestamp, so not the wake-up's own delay):
  // what says whether to spin.
  bool sleep_counted = false;
  std::chrono::nanoseconds last_wait{};
  ReceiverStats stats;

  State(std::unique_ptr<ReceiverBackend> b, ipc::EventSet e)
      : backend(std::move(b)), events(std::move(e)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (connection) {
      (void)release_held();
      if (connection) (void)ipc::send(*connection, ipc::Message(ipc::Goodbye{}), milliseconds(0));
    }
    held.reset();
    relay.reset();  // its thread waits on the board
    backend->wait_idle();
    last_words.reset();
    slots.clear();
    retired.clear();
  }

  void log(const std::string& message) const {
    std::fprintf(stderr, "geyser: receiver '%s': %s\n", name.c_str(), message.c_str());
  }

  // Closes the connection. When the sender went away (`sender_gone`), a frame it presented
  // just before is still whole in memory we hold: kept, so that the last frames of a sender
  // that exits are not lost. When we close on a live sender, it no longer reads our page
  // and may rewrite any slot: nothing is kept.
  void disconnect(bool sender_gone = true) {
    if (sender_gone && have_board()) {
      if (auto newest = board->newest(); newest && valid_new(*newest)) {
        last_words = LastWords{*newest, slots[newest->slot]};
      }
    }
    if (connection) events.remove(connection->native_handle());
    connection.reset();
    // The handle of a disconnected receiver is quiet: the relay stops following the old
    // board (a wake it passed on late would make the handle readable for nothing) and is
    // drained. A reconnect follows the new board.
    if (relay) {
      relay->follow(nullptr);
      relay->drain();
    }
    have_stream = false;
    end_sleep();
    page.reset();
    for (auto& slot : slots) retired.push_back(std::move(slot));
    slots.clear();
  }

  // Closes the connection after telling the sender why (best effort).
  Error abandon(Error why) {
    if (connection) {
      (void)ipc::send(*connection, ipc::Message(ipc::ErrorMessage{why.code(), why.message()}),
                      milliseconds(0));
    }
    log("closing the connection: " + why.to_string());
    disconnect(false);
    return why;
  }

  Result<void> check_identity(const DeviceIdentity& theirs) const {
    const DeviceIdentity& ours = backend->identity();
    if (theirs.compatible_with(ours)) return {};
    return fail(ErrorCode::DeviceMismatch, "channel '" + name + "' shares textures of driver " +
                                               geyser::to_string(theirs.driver_uuid) + " device " +
                                               geyser::to_string(theirs.device_uuid) +
                                               ", this receiver's " + backend->device_name() +
                                               " is device " + geyser::to_string(ours.device_uuid));
  }

  Result<void> open_shared(ipc::StreamDescription& description) {
    auto opened_board = ipc::BoardReader::open(std::move(description.board));
    if (!opened_board) return tl::unexpected(opened_board.error());
    auto opened_page = ipc::ReceiverPage::open(std::move(description.page));
    if (!opened_page) return tl::unexpected(opened_page.error());
    board = std::make_shared<const ipc::BoardReader>(std::move(opened_board).value());
    socket_read_at = {};  // another board: its mail word is not the one seen
    end_sleep();
    page.emplace(std::move(opened_page).value());
    page->count_sleepers(relay != nullptr);  // a relay's thread waits on the board all along
    if (relay) relay->follow(board);
    return {};
  }

  bool have_board() const { return have_stream && board && !slots.empty(); }

  // Counts this thread as a sleeper on our page, before it reads the wake count for a wait;
  // end_sleep() once acquire() is done waiting (docs/protocol.md, "Sleepers").
  void begin_sleep() noexcept {
    if (sleep_counted || !page) return;
    page->begin_sleep();
    sleep_counted = true;
  }
  void end_sleep() noexcept {
    if (sleep_counted && page) page->end_sleep();
    sleep_counted = false;
  }

  // Watches the board for up to the spin option while the last wait was that short: true
  // when it changed (a record, or a wake for the socket). No system call.
  bool spin_for_change(std::uint32_t seen, Clock::time_point deadline) const {
    const auto limit = options.spin;
    // Asked once: the count is a system call, and waits are many.
    static const bool several_cpus = std::thread::hardware_concurrency() >= 2;
    if (limit.count() <= 0 || last_wait > limit || !board || !several_cpus) {
      return false;
    }
    const std::uint64_t published = board->published();
    const auto until = std::min(deadline, Clock::now() + limit);
    do {
      if (board->wake_count() != seen || board->published() != published) return true;
      cpu_relax();
    } while (Clock::now() < until);
    return false;
  }

  // A wake that the sender's fan-out delivered late, in any of our threads, goes on our
  // page: the sender then wakes every receiver itself (docs/protocol.md, "Fan-out").
  void report_late_wakes() noexcept {
    if (!page || !board) return;
    const std::uint32_t late = board->late_wakes();
    if (late != page->late_wakes()) page->report_late_wakes(late);
  }

  // What the Hello asks for: the option, within what the backend can import.
  TransferRequest transfer_request() const {
    if (backend->imports_host_frames()) return options.transfer;
    return TransferRequest::Device;
  }

  // Host frames come only to a receiver that asked for them; device slots only from the
  // receiver's own device.
  Result<Transfer> check_memory(const ipc::StreamDescription& description) const {
    if (description.handle_type != MemoryHandleType::HostMemfd) {
      if (transfer_request() == TransferRequest::Host) {
        return fail(ErrorCode::Protocol, "channel '" + name +
                                             "' sent device slots to a receiver that asked "
                                             "for host frames");
      }
      GEYSER_TRY_VOID(check_identity(description.identity));
      return Transfer::Device;
    }
    if (transfer_request() == TransferRequest::Device) {
      return fail(ErrorCode::Protocol, "channel '" + name +
                                           "' sent host frames to a receiver that asked for "
                                           "zero-copy only");
    }
    return Transfer::Host;
  }

  Result<void> import_stream(ipc::StreamDescription description) {
    GEYSER_TRY(const Transfer transfer, check_memory(description));
    if (description.generation <= generation && have_stream) {
      return fail(ErrorCode::Protocol, "StreamDescription of generation " +
                                           std::to_string(description.generation) +
                                           " after generation " + std::to_string(generation) +
                                           ": generations must rise");
    }
    GEYSER_TRY_VOID(open_shared(description));
    std::vector<std::shared_ptr<ImportedSlot>> fresh;
    for (ipc::SlotHandles& handles : description.slots) {
      SlotImport slot;
      slot.memory.os_handle = std::move(handles.memory);
      slot.memory.handle_type = description.handle_type;
      slot.memory.identity = description.identity;
      slot.memory.descriptor = description.descriptor;
      slot.memory.image = description.image;
      slot.memory.row_pitch = description.row_pitch;
      slot.sync.ready = std::move(handles.ready);
      slot.sync.released = std::move(handles.released);
      slot.mode = description.sync_mode;
      GEYSER_TRY(auto imported, backend->import_slot(std::move(slot)));
      fresh.push_back(std::move(imported));
      ++stats.imports;
    }
    for (auto& slot : slots) retired.push_back(std::move(slot));
    slots = std::move(fresh);
    generation = description.generation;
    desc = description.descriptor;
    mode = description.sync_mode;
    color = description.color;
    first_frame = description.first_frame;
    stats.sync_mode = mode;
    stats.transfer = transfer;
    stats.tiling = description.row_pitch != 0 ? Tiling::Linear : Tiling::Optimal;
    stats.row_pitch = description.row_pitch;
    have_stream = true;
    return {};
  }

  // Whether `record` is a frame of the current stream newer than the last one read.
  bool valid_new(const ipc::FrameRecord& record) const {
    return record.generation == generation && record.slot < slots.size() &&
           record.frame > last_presented && record.frame >= first_frame &&
           record.frame < kFrameLimit && record.timeline_value == record.frame &&
           record.layout == kSharedImageLayout && record.metadata_size <= ipc::kMaxFrameMetadata;
  }

  // The board's newest record when it is a frame we have not read yet; Protocol when the
  // sender wrote one that breaks the rules (docs/protocol.md, "The frame board"). They are
  // checked before anything waits on the frame: its timeline value is what begin_read waits
  // for, and a value that is not the frame, or frames that do not rise, would let a sender
  // stall our queue.
  Result<std::optional<ipc::FrameRecord>> newest_frame() {
    if (!have_board() || board->published() == last_sequence) return std::nullopt;
    auto record = board->newest();
    if (!record) return std::nullopt;  // being rewritten: the next look gets it
    // The record's own sequence number, not one read before it: the sender may have
    // published again in between, and the same record must not be read twice.
    if (record->sequence == last_sequence) return std::nullopt;
    const std::uint64_t sequence = record->sequence;
    // A newer generation's description is on the socket (the sender sends it before its
    // first frame): look at this record again once it is read.
    if (record->generation > generation) return std::nullopt;
    last_sequence = sequence;
    if (record->generation < generation) return std::nullopt;  // stale
    // Presented before our links existed: its readiness was never signalled for us.
    if (record->frame != 0 && record->frame < first_frame) return std::nullopt;
    if (!valid_new(*record)) {
      return fail(ErrorCode::Protocol,
                  "the frame board announces frame " + std::to_string(record->frame) + " (slot " +
                      std::to_string(record->slot) + ", timeline value " +
                      std::to_string(record->timeline_value) + ", layout " +
                      std::to_string(record->layout) + ", " +
                      std::to_string(record->metadata_size) + " bytes of metadata) after frame " +
                      std::to_string(last_presented) + " of a " + std::to_string(slots.size()) +
                      "-slot stream: frames must rise from 1 and stay below 2^62, with the "
                      "frame as timeline value, the shared layout and at most 256 bytes");
    }
    return record;
  }

  // Claims the frame of `record` on our page, then checks that its slot still holds it:
  // the sender clears the board's word before it rewrites a slot, then checks the claims,
  // so one of us sees the other (docs/protocol.md, "Claiming a frame").
  // On failure the record is looked at again (the sender may give the slot back to its
  // readers when another receiver's claim stopped it rewriting).
  bool claim(const ipc::FrameRecord& record) {
    const std::uint64_t before = page->claimed(record.slot);
    page->claim(record.slot, record.frame);
    if (board->slot_frame(record.slot) == record.frame) {
      last_presented = record.frame;
      return true;
    }
    page->claim(record.slot, before);
    last_sequence = 0;
    ++stats.claims_lost;
    return false;
  }

  // Handles one message; an error means the connection is unusable.
  Result<void> handle(ipc::Message message) {
    if (auto* description = std::get_if<ipc::StreamDescription>(&message)) {
      return import_stream(std::move(*description));
    }
    if (std::holds_alternative<ipc::Goodbye>(message)) {
      return fail(ErrorCode::Disconnected, "the sender of channel '" + name + "' closed it");
    }
    if (auto* error = std::get_if<ipc::ErrorMessage>(&message)) {
      return fail(error->code, "the sender of channel '" + name + "' refused: " + error->text);
    }
    return fail(ErrorCode::Protocol, std::string("unexpected ") +
                                         std::string(ipc::to_string(ipc::message_type(message))) +
                                         " from the sender");
  }

  // Reads messages for at most `timeout` (0: only those already there), or with
  // `until_described` until a stream description came. Disconnected (and the connection
  // closed) when the sender went away.
  Result<void> pump(milliseconds timeout, bool until_described = false) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto message = ipc::receive(*connection, remaining(deadline));
      if (!message) {
        if (message.error().code() == ErrorCode::Timeout) return {};
        if (message.error().code() == ErrorCode::Disconnected) {
          disconnect();
          return fail(ErrorCode::Disconnected, "the sender of channel '" + name + "' went away");
        }
        return tl::unexpected(abandon(std::move(message).error()));
      }
      const bool description = std::holds_alternative<ipc::StreamDescription>(*message);
      if (auto handled = handle(std::move(message).value()); !handled) {
        if (handled.error().code() == ErrorCode::Disconnected) {
          disconnect();
          return handled;
        }
        return tl::unexpected(abandon(std::move(handled).error()));
      }
      // A new stream is what connect waits for: return rather than wait on for a frame the
      // sender may only present once we are connected.
      if (description && until_described) return {};
    }
  }

  Result<void> open_connection(milliseconds timeout) {
    GEYSER_TRY(auto opened, transport->connect(name, timeout));
    // Whoever can create the socket could pose as the sender and have us import its
    // memory: check who the OS says it is before saying anything.
    if (auto checked = ipc::check_peer(opened->peer(), options.peers); !checked) {
      return fail(ErrorCode::PermissionDenied,
                  "channel '" + name + "': refusing its sender: " + checked.error().message());
    }
    GEYSER_TRY_VOID(events.add(opened->native_handle()));
    connection = std::move(opened);
    last_presented = 0;  // a new connection numbers its frames anew
    last_sequence = 0;
    generation = 0;
    return {};
  }

  // The handshake: connects and says Hello when there is no connection, then reads until
  // the sender describes its stream or `timeout` passes. A connection still waiting for its
  // description outlives the timeout (state Waiting), so that acquire(0) from an event loop
  // completes the handshake over several calls. One that waits longer than
  // options.handshake_timeout is dropped: Timeout, and the next call starts over.
  Result<void> try_connect(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    if (!connection) GEYSER_TRY_VOID(say_hello(deadline));
    while (!have_stream) {
      GEYSER_TRY_VOID(pump(remaining(deadline), true));
      if (have_stream) break;
      if (Clock::now() - hello_sent >= options.handshake_timeout) {
        // A sender is there but mute: Timeout, which connect() waits out like a missing
        // sender and acquire() reports as Disconnected.
        disconnect();
        return fail(ErrorCode::Timeout,
                    "the sender of channel '" + name + "' did not describe its stream within " +
                        std::to_string(options.handshake_timeout.count()) + " ms");
      }
      if (remaining(deadline).count() == 0) {
        return fail(ErrorCode::Timeout,
                    "waiting for the sender of channel '" + name + "' to describe its stream");
      }
    }
    // Counted only once the sender has described its stream: an attempt that timed out on a
    // sender still starting up is no connection.
    ++connection_id;
    last_acquired = 0;  // a new sender numbers its frames from 1
    return {};
  }

  Result<void> say_hello(Clock::time_point deadline) {
    GEYSER_TRY_VOID(open_connection(remaining(deadline)));
    ipc::Hello hello;
    hello.client_pid = static_cast<std::uint32_t>(getpid());
    hello.sync = backend->sync_capabilities();
    hello.identity = backend->identity();
    hello.transfer = transfer_request();
    if (auto sent = ipc::send(*connection, ipc::Message(hello), remaining(deadline)); !sent) {
      disconnect();
      return sent;
    }
    hello_sent = Clock::now();
    return {};
  }

  // Releases the held frame to the sender, after the reads submitted before this call.
  Result<void> release_held(ReadSubmission submission = ReadSubmission::Backend) {
    if (!held) return {};
    FrameLease frame = std::move(*held);
    held.reset();
    if (!connection || frame.connection != connection_id || frame.generation != generation) {
      // Its sender or generation is gone: nobody waits for it. Its import is retired.
      return {};
    }
    if (auto ended =
            backend->end_read(*slots[frame.slot], frame.frame, options.gpu_timeout, submission);
        !ended) {
      // The release cannot be ordered after our reads, so the sender must not get the slot
      // back on our page; closing the connection frees it on the sender's side, and the
      // next acquire() reconnects.
      return tl::unexpected(abandon(std::move(ended).error()));
    }
    page->release(frame.slot, frame.frame, submission == ReadSubmission::Unread);
    return {};
  }

  FrameLease make_lease(const ipc::FrameRecord& frame, std::shared_ptr<ImportedSlot> slot) {
    FrameLease out;
    out.frame = frame.frame;
    out.generation = frame.generation;
    out.slot = frame.slot;
    out.timestamp_ns = frame.timestamp_ns;
    const auto metadata = frame.metadata_bytes();
    out.metadata.assign(metadata.begin(), metadata.end());
    out.connection = connection_id;
    out.slot_import = std::move(slot);
    held = out;
    ++stats.frames_acquired;
    return out;
  }

  // The frame the sender presented right before it left, as the held frame. Waits on the
  // CPU, bounded, rather than on the device, in case its signal never executes.
  std::optional<FrameLease> take_last_words() {
    LastWords last = std::move(*last_words);
    last_words.reset();
    if (!backend->wait_written(*last.slot, last.frame.frame, milliseconds(500))) {
      return std::nullopt;
    }
    (void)release_held(held_release);
    return make_lease(last.frame, std::move(last.slot));
  }

  void collect_retired() {
    if (retired.empty()) return;
    // Only the held frame may still be read by the application; the rest can go once the
    // device has finished what was submitted (generation changes are rare).
    if (backend->finish(options.gpu_timeout)) {
      std::erase_if(retired, [&](const std::shared_ptr<ImportedSlot>& slot) {
        return !held || held->slot_import != slot;
      });
    }
  }

  // The frame of `record`, claimed: give back the old one, then begin reading the new one,
  // waiting at most `timeout` (the caller's, capped by gpu_timeout) for it to be written.
  Result<FrameLease> take(const ipc::FrameRecord& record, milliseconds timeout,
                          ReadSubmission submission) {
    GEYSER_TRY_VOID(release_held(held_release));
    if (!connection) {
      return fail(ErrorCode::Disconnected, "the sender of channel '" + name + "' went away");
    }
    if (auto began = backend->begin_read(*slots[record.slot], record.frame, timeout, submission);
        !began) {
      // Never read: released as skipped (in gpu mode the sender also waits for the
      // released timeline), so the sender may reuse the slot; if even that fails, the
      // connection is closed, which frees it too.
      if (auto skipped = backend->skip(*slots[record.slot], record.frame); !skipped) {
        (void)abandon(std::move(skipped).error());
      } else {
        page->release(record.slot, record.frame);
      }
      return tl::unexpected(std::move(began).error());
    }
    FrameLease out = make_lease(record, slots[record.slot]);
    // Frames the sender presented meanwhile that we never read count as skipped.
    if (last_acquired != 0 && record.frame > last_acquired + 1) {
      stats.frames_skipped += record.frame - last_acquired - 1;
    }
    last_acquired = record.frame;
    collect_retired();
    return out;
  }

  // Whether a look must read the socket first: when the board's mail word says the
  // sender has sent or closed something since the last read (docs/protocol.md, "The mail
  // word"), and at least once per board wait slice, so that a sender that died, or one that
  // never posts mail, is still heard.
  bool socket_due() const {
    return !have_board() || board->mail_count() != mail_seen ||
           Clock::now() - socket_read_at >= kBoardWaitSlice;
  }

  // Reads the socket when socket_due(): descriptions, errors, a close.
  Result<void> read_socket_if_due() {
    if (!socket_due()) return {};
    // Read before the socket: mail posted meanwhile makes the next look read it again.
    if (board) mail_seen = board->mail_count();
    socket_read_at = Clock::now();
    ++stats.socket_reads;
    return pump(milliseconds(0));
  }

  // One look: the socket when due, then the board. A frame when there is a new one and
  // its claim held.
  Result<std::optional<FrameLease>> look(milliseconds timeout, ReadSubmission submission) {
    GEYSER_TRY_VOID(read_socket_if_due());
    GEYSER_TRY(const auto record, newest_frame());
    if (!record) return std::nullopt;
    if (!claim(*record)) return std::nullopt;  // being rewritten: a newer frame follows
    const milliseconds written = std::min(std::max(timeout, kWrittenGrace), options.gpu_timeout);
    GEYSER_TRY(FrameLease lease, take(*record, written, submission));
    return lease;
  }
};

ReceiverCore::ReceiverCore(std::unique_ptr<State> state) : state_(std::move(state)) {}
ReceiverCore::ReceiverCore(ReceiverCore&&) noexcept = default;
ReceiverCore& ReceiverCore::operator=(ReceiverCore&&) noexcept = default;
ReceiverCore::~ReceiverCore() = default;

Result<ReceiverCore> ReceiverCore::connect(std::unique_ptr<ReceiverBackend> backend,
                                           std::string name, milliseconds timeout,
                                           const ReceiverOptions& options) {
  GEYSER_TRY_VOID(ipc::validate_channel_name(name));
  if (!backend) return fail(ErrorCode::Validation, "Receiver::connect: no backend");
  if (options.handshake_timeout.count() <= 0) {
    return fail(ErrorCode::Validation, "Receiver::connect: handshake_timeout must be above 0");
  }
  if (options.transfer == TransferRequest::Host && !backend->imports_host_frames()) {
    return fail(ErrorCode::Unsupported, "Receiver::connect: a " + backend->device_name() +
                                            " receiver cannot take host frames (transfer host)");
  }
  GEYSER_TRY(ipc::EventSet events, ipc::EventSet::create());
  auto state = std::make_unique<State>(std::move(backend), std::move(events));
  state->name = name;
  state->options = options;
  state->transport = options.transport;
  if (!state->transport) {
    GEYSER_TRY(state->transport, ipc::default_transport(options.runtime_dir));
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto connected = state->try_connect(remaining(deadline));
    if (connected) return ReceiverCore(std::move(state));
    const ErrorCode code = connected.error().code();
    // Only "nobody publishes it (yet)" and "nobody answers (yet)" are worth waiting out;
    // everything else is final.
    const bool waiting = code == ErrorCode::Disconnected || code == ErrorCode::Timeout;
    if (!waiting || remaining(deadline).count() == 0) {
      if (code == ErrorCode::Timeout) {
        return fail(ErrorCode::Timeout, "the sender of channel '" + name +
                                            "' did not describe its stream within " +
                                            std::to_string(timeout.count()) + " ms");
      }
      if (code == ErrorCode::Disconnected) {
        return fail(ErrorCode::Disconnected, "no sender published channel '" + name + "' within " +
                                                 std::to_string(timeout.count()) + " ms (" +
                                                 connected.error().message() + ")");
      }
      return tl::unexpected(std::move(connected).error());
    }
    std::this_thread::sleep_for(std::min(remaining(deadline), milliseconds(20)));
  }
}

Result<FrameLease> ReceiverCore::acquire(milliseconds timeout, ReadSubmission submission,
                                         ReadSubmission held_release) {
  State& s = *state_;
  s.held_release = held_release;
  const auto deadline = Clock::now() + timeout;
  if (!s.connection && s.last_words) {
    if (auto last = s.take_last_words()) return *last;
  }
  if (!s.connection || !s.have_stream) {
    // One step towards a restarted sender, bounded by the caller's timeout; a handshake
    // under way goes on at the next call.
    auto connected = s.try_connect(std::min(remaining(deadline), milliseconds(250)));
    if (!connected) {
      // An impostor is no missing sender: say so.
      if (connected.error().code() == ErrorCode::PermissionDenied) {
        return tl::unexpected(std::move(connected).error());
      }
      return fail(ErrorCode::Disconnected,
                  "channel '" + s.name + "' has no sender (" + connected.error().message() + ")");
    }
    ++s.stats.reconnects;
  }
  if (s.relay) s.relay->drain();  // readable again on the next wake
  // However acquire() ends, it is no sleeper any more.
  struct EndSleep {
    State& s;
    ~EndSleep() { s.end_sleep(); }
  } end_sleep{s};
  std::uint64_t idle_since = 0;  // monotonic_ns() when it first found nothing new
  for (;;) {
    // The wake count first: a wake between the look and the wait ends the wait at once.
    const std::uint32_t seen = s.board ? s.board->wake_count() : 0;
    auto looked = s.look(remaining(deadline), submission);
    if (!looked) {
      // A frame presented right before the sender left comes first; Disconnected next time.
      if (looked.error().code() == ErrorCode::Disconnected && s.last_words) {
        if (auto last = s.take_last_words()) return *last;
      }
      if (looked.error().code() == ErrorCode::Protocol && s.connection) {
        return tl::unexpected(s.abandon(std::move(looked).error()));  // a bad board record
      }
      return tl::unexpected(std::move(looked).error());
    }
    if (*looked) {
      const std::uint64_t presented = (*looked)->timestamp_ns;
      s.last_wait = std::chrono::nanoseconds(
          idle_since != 0 && presented > idle_since ? presented - idle_since : 0);
      return std::move(**looked);
    }
    const auto left = remaining(deadline);
    if (left.count() == 0) {
      return fail(ErrorCode::Timeout, "no new frame on channel '" + s.name + "' within " +
                                          std::to_string(timeout.count()) + " ms");
    }
    if (idle_since == 0) idle_since = detail::monotonic_ns();
    if (!s.board) {
      (void)s.events.wait(std::min(left, kBoardWaitSlice));
      continue;
    }
    if (!s.sleep_counted) {
      if (s.spin_for_change(seen, deadline)) continue;
      // A sleeper from now on, and one more look before the wait: a publish that found
      // us not counted yet is on the board by then.
      s.begin_sleep();
      if (s.sleep_counted) continue;
    }
    GEYSER_TRY_VOID(s.board->wait(seen, std::min(left, kBoardWaitSlice)));
    s.report_late_wakes();
  }
}

Result<void> ReceiverCore::release(ReadSubmission submission) {
  return state_->release_held(submission);
}

const FrameLease* ReceiverCore::held() const noexcept {
  return state_->held ? &*state_->held : nullptr;
}

NativeHandle ReceiverCore::native_event_handle() const noexcept {
  State& s = *state_;
  // Frames wake the board's futex, which no event loop can poll: from the first call on, a
  // thread turns those wakes into an eventfd in our set (beside the socket).
  if (!s.relay) {
    auto relay = detail::BoardRelay::create();
    if (relay && s.events.add((*relay)->handle())) {
      s.relay = std::move(relay).value();
      if (s.page) s.page->count_sleepers(true);  // its thread waits on the board all along
      if (s.board) s.relay->follow(s.board);
    } else {
      s.log("no event handle for frames: " +
            (relay ? std::string("EventSet::add failed") : relay.error().to_string()));
    }
  }
  return s.events.native_handle();
}

const ColorDescription& ReceiverCore::color() const noexcept {
  return state_->color;
}

ReceiverState ReceiverCore::state() const noexcept {
  if (!state_->connection) return ReceiverState::Disconnected;
  return state_->have_stream ? ReceiverState::Connected : ReceiverState::Waiting;
}

ReceiverStats ReceiverCore::stats() const noexcept {
  return state_->stats;
}
const TextureDescriptor& ReceiverCore::descriptor() const noexcept {
  return state_->desc;
}
const std::string& ReceiverCore::name() const noexcept {
  return state_->name;
}
ReceiverBackend& ReceiverCore::backend() const noexcept {
  return *state_->backend;
}

}  // namespace geyser::channel
