#include "fake_modes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <vector>

#include "geyser/ipc/message_io.hpp"

namespace geyser::hostile {
namespace {

using namespace std::chrono_literals;

// Offsets in an encoded StreamDescription (docs/protocol.md): the 16-byte header, then
// the body's fields.
constexpr std::size_t kBody = ipc::kHeaderSize;
constexpr std::size_t kHandleCountAt = 12;  // header: u16 fd count
constexpr std::size_t kSlotCountAt = kBody + 8;
constexpr std::size_t kHandleTypeAt = kBody + 10;
constexpr std::size_t kWidthAt = kBody + 12;
constexpr std::size_t kFormatAt = kBody + 20;

constexpr std::uint64_t k2To63 = std::uint64_t{1} << 63;
// Frames a valid stream presents to one receiver at most (geyser recv --frames 3 needs 3).
constexpr std::uint64_t kMaxFrames = 100;

using Edit = std::function<void(std::vector<std::uint8_t>& bytes, std::vector<NativeHandle>& fds)>;

void put_u32(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) bytes[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
}
void put_u16(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value);
  bytes[at + 1] = static_cast<std::uint8_t>(value >> 8);
}

Result<void> send_bytes(Peer& peer, const std::vector<std::uint8_t>& bytes,
                        std::span<const NativeHandle> fds = {}) {
  return peer.connection.send(bytes, fds, 1s);
}

Result<void> send(Peer& peer, const ipc::Message& message) {
  return ipc::send(peer.connection, message, 1s);
}

// A valid description of the real ring, encoded, changed by `edit`, then sent as bytes: the
// encoder refuses what the modes want to send.
Result<void> send_edited_description(Peer& peer, const Edit& edit) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  const ipc::Message message(std::move(d));  // owns the fds that `encoded` borrows
  GEYSER_TRY(ipc::EncodedMessage encoded, ipc::encode(message));
  edit(encoded.bytes, encoded.handles);
  return send_bytes(peer, encoded.bytes, encoded.handles);
}

// A valid description whose slot 0 memory is `memory` instead of the exported texture.
Result<void> send_description_with_memory(Peer& peer, UniqueFd memory) {
  if (!memory) return fail(Error::from_errno(ErrorCode::Internal, "making the fd", errno));
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  d.slots[0].memory = std::move(memory);
  return send(peer, ipc::Message(std::move(d)));
}

// Waits until the receiver's page shows `frame` in `slot` claimed (`claimed`) or released
// (it reads in lockstep with us); an error when it left or said anything, which ends the
// stream for this receiver.
Result<void> wait_page(Peer& peer, std::size_t slot, std::uint64_t frame, bool claimed) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    const std::uint64_t seen = claimed ? peer.stream->claimed(slot) : peer.stream->released(slot);
    if (seen >= frame) return {};
    auto message = ipc::receive(peer.connection, 1ms);
    if (message || message.error().code() != ErrorCode::Timeout) {
      return fail(ErrorCode::Disconnected, "the receiver left or spoke");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Timeout, "the receiver did not read frame " + std::to_string(frame));
    }
  }
}

// A valid stream in lockstep with the receiver, whose pixels are frame + `pattern_shift`'s.
Result<void> stream_frames(Peer& peer, std::uint64_t pattern_shift) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  const std::uint64_t generation = d.generation;
  GEYSER_TRY_VOID(send(peer, ipc::Message(std::move(d))));
  for (std::uint64_t i = 0; i < kMaxFrames; ++i) {
    const std::size_t slot = i % kSlots;
    const std::uint64_t frame = peer.stream->next_frame();
    GEYSER_TRY_VOID(peer.stream->write_and_signal(slot, frame, frame + pattern_shift));
    peer.stream->announce(frame_record(generation, slot, frame));
    // Lockstep: the next frame goes into the other slot once the receiver holds this one,
    // and this slot is written again only once it released it.
    GEYSER_TRY_VOID(wait_page(peer, slot, frame, true));
    if (i + 1 >= kSlots) GEYSER_TRY_VOID(wait_page(peer, (i + 1) % kSlots, frame - 1, false));
  }
  return {};
}

// A valid description, then `record` (of its generation) announced without being written.
Result<void> describe_then_announce(Peer& peer, ipc::FrameRecord record) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  record.generation = d.generation;
  GEYSER_TRY_VOID(send(peer, ipc::Message(std::move(d))));
  peer.stream->announce(record);
  return {};
}

// --- before any description ---

Result<void> garbage(Peer& peer) {
  return send_bytes(peer, std::vector<std::uint8_t>(40, 0xee));
}

Result<void> truncated_header(Peer& peer) {
  GEYSER_TRY(ipc::EncodedMessage goodbye, ipc::encode(ipc::Message(ipc::Goodbye{})));
  goodbye.bytes.resize(10);
  return send_bytes(peer, goodbye.bytes);
}

// --- absurd descriptions ---

Result<void> width_zero(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto&) { put_u32(bytes, kWidthAt, 0); });
}

Result<void> width_2_31(Peer& peer) {
  return send_edited_description(
      peer, [](auto& bytes, auto&) { put_u32(bytes, kWidthAt, std::uint32_t{1} << 31); });
}

Result<void> unknown_format(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto&) { put_u16(bytes, kFormatAt, 999); });
}

Result<void> slot_count_zero(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto&) { bytes[kSlotCountAt] = 0; });
}

// The slot count is a u8 on the wire: 255 is the most absurd count it can say.
Result<void> slot_count_255(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto&) { bytes[kSlotCountAt] = 255; });
}

Result<void> unknown_handle_type(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto&) { bytes[kHandleTypeAt] = 9; });
}

// --- fds of the wrong kind, or too many ---

// A pipe whose write end stays open here: a driver that read() it would block for ever.
Result<void> memory_fd_pipe(Peer& peer) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return fail(ErrorCode::Internal, "pipe2 failed");
  static UniqueFd write_end;  // kept open for the process's life
  write_end = UniqueFd(ends[1]);
  return send_description_with_memory(peer, UniqueFd(ends[0]));
}

Result<void> memory_fd_dev_null(Peer& peer) {
  return send_description_with_memory(peer, UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC)));
}

Result<void> memory_fd_socket(Peer& peer) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    return fail(ErrorCode::Internal, "socketpair failed");
  }
  static UniqueFd other_end;
  other_end = UniqueFd(ends[1]);
  return send_description_with_memory(peer, UniqueFd(ends[0]));
}

Result<void> memory_fd_directory(Peer& peer) {
  return send_description_with_memory(peer,
                                      UniqueFd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
}

// The ready timeline of slot 0 is a pipe: the cpu-mode timeline import must refuse it.
Result<void> ready_fd_pipe(Peer& peer) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return fail(ErrorCode::Internal, "pipe2 failed");
  static UniqueFd write_end;
  write_end = UniqueFd(ends[1]);
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  d.slots[0].ready = UniqueFd(ends[0]);
  return send(peer, ipc::Message(std::move(d)));
}

// One fd more than the header declares.
Result<void> one_fd_too_many(Peer& peer) {
  return send_edited_description(peer, [](auto&, auto& fds) { fds.push_back(fds.front()); });
}

// 49 fds, one over the most any message may carry, the header declaring all of them.
Result<void> fds_over_the_limit(Peer& peer) {
  return send_edited_description(peer, [](auto& bytes, auto& fds) {
    while (fds.size() <= ipc::kMaxHandlesPerMessage) fds.push_back(fds.front());
    put_u16(bytes, kHandleCountAt, static_cast<std::uint16_t>(fds.size()));
  });
}

// An unsealed memfd of the right size, truncated to nothing as soon as it is sent: a
// receiver that mapped it would die of SIGBUS on its first read.
Result<void> unsealed_memfd_shrunk(Peer& peer) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  UniqueFd memfd(::memfd_create("geyser-fake-unsealed", MFD_CLOEXEC));
  if (!memfd) return fail(ErrorCode::Internal, "memfd_create failed");
  const auto size = static_cast<off_t>(d.image.allocation_size);
  if (::ftruncate(memfd.get(), size) != 0) return fail(ErrorCode::Internal, "ftruncate failed");
  const int raw = memfd.get();
  d.slots[0].memory = std::move(memfd);
  const ipc::Message message(std::move(d));
  GEYSER_TRY_VOID(send(peer, message));
  if (::ftruncate(raw, 0) != 0) return fail(ErrorCode::Internal, "ftruncate to 0 failed");
  return {};
}

// --- host frames (docs/host-frames.md) with memory a receiver must not map ---

// The ring's description turned into host frames whose every slot is a memfd made by
// `make(size)`: the size the description announces.
Result<void> send_host_description(Peer& peer, const std::function<UniqueFd(off_t)>& make) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  ipc::describe_host_slots(
      d, host_row_pitch(d.descriptor.width, d.descriptor.format),
      host_slot_size(d.descriptor.width, d.descriptor.height, d.descriptor.format));
  for (auto& slot : d.slots) {
    slot.memory = make(static_cast<off_t>(d.image.allocation_size));
    if (!slot.memory) return fail(ErrorCode::Internal, "making the host memfd failed");
  }
  return send(peer, ipc::Message(std::move(d)));
}

UniqueFd memfd_of(off_t size, int seals) {
  UniqueFd memfd(::memfd_create("geyser-fake-host", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd || ::ftruncate(memfd.get(), size) != 0) return {};
  if (seals != 0 && ::fcntl(memfd.get(), F_ADD_SEALS, seals) != 0) return {};
  return memfd;
}

constexpr int kAllHostSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL;

// Not sealed: the sender could shrink it under the receiver's reads (SIGBUS).
Result<void> host_memfd_unsealed(Peer& peer) {
  return send_host_description(peer, [](off_t size) { return memfd_of(size, 0); });
}

// Sealed, but half the size the description announces.
Result<void> host_memfd_too_small(Peer& peer) {
  return send_host_description(peer, [](off_t size) { return memfd_of(size / 2, kAllHostSeals); });
}

// Sealed against resizing but still writable through new mappings: another receiver of
// the same memfd could write what this one reads.
Result<void> host_memfd_writable(Peer& peer) {
  return send_host_description(
      peer, [](off_t size) { return memfd_of(size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL); });
}

// --- frames and timeline values ---

// Frame N, then frame N - 1. Frame N is written, but with another frame's pixels: a
// receiver may acquire it before it reads N - 1, and must then not verify it.
Result<void> frames_backwards(Peer& peer) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  const std::uint64_t generation = d.generation;
  (void)peer.stream->next_frame();  // frame N - 1, at or above the description's first frame
  const std::uint64_t frame = peer.stream->next_frame();
  GEYSER_TRY_VOID(peer.stream->write_and_signal(0, frame, frame + 7));
  GEYSER_TRY_VOID(send(peer, ipc::Message(std::move(d))));
  peer.stream->announce(frame_record(generation, 0, frame));
  // Once the receiver holds frame N (or gave up), frame N - 1 follows.
  (void)wait_page(peer, 0, frame, true);
  peer.stream->announce(frame_record(generation, 1, frame - 1));
  return {};
}

// The first frame is 2^63.
Result<void> frame_2_63(Peer& peer) {
  return describe_then_announce(peer, frame_record(0, 1, k2To63));
}

// The first frame has a timeline value of 2^63.
Result<void> timeline_2_63(Peer& peer) {
  auto frame = frame_record(0, 1, peer.stream->next_frame());
  frame.timeline_value = k2To63;
  return describe_then_announce(peer, frame);
}

// Announces a frame whose ready timeline it never signals: the frame is never written.
Result<void> frame_never_written(Peer& peer) {
  return describe_then_announce(peer, frame_record(0, 1, peer.stream->next_frame()));
}

// --- valid streams ---

// Every frame holds the pattern of another frame: --verify must see it.
Result<void> wrong_pixels(Peer& peer) {
  return stream_frames(peer, 7);
}

// The control: a fully valid stream of the test pattern.
Result<void> valid(Peer& peer) {
  return stream_frames(peer, 0);
}

// --- stops answering ---

Result<void> silent_after_hello(Peer&) {
  return {};
}

Result<void> silent_after_description(Peer& peer) {
  GEYSER_TRY(ipc::StreamDescription d, peer.stream->describe());
  return send(peer, ipc::Message(std::move(d)));
}

Result<void> sigstop_after_hello(Peer&) {
  std::fprintf(stderr, "geyser_fake_sender: stopping myself (SIGSTOP)\n");
  ::raise(SIGSTOP);
  return {};
}

Result<void> sigstop_after_description(Peer& peer) {
  GEYSER_TRY_VOID(silent_after_description(peer));
  return sigstop_after_hello(peer);
}

constexpr Mode kModes[] = {
    {"garbage", false, garbage},
    {"truncated-header", false, truncated_header},
    {"width-zero", true, width_zero},
    {"width-2^31", true, width_2_31},
    {"unknown-format", true, unknown_format},
    {"slot-count-zero", true, slot_count_zero},
    {"slot-count-255", true, slot_count_255},
    {"unknown-handle-type", true, unknown_handle_type},
    {"memory-fd-pipe", true, memory_fd_pipe},
    {"memory-fd-dev-null", true, memory_fd_dev_null},
    {"memory-fd-socket", true, memory_fd_socket},
    {"memory-fd-directory", true, memory_fd_directory},
    {"ready-fd-pipe", true, ready_fd_pipe},
    {"one-fd-too-many", true, one_fd_too_many},
    {"fds-over-the-limit", true, fds_over_the_limit},
    {"unsealed-memfd-shrunk", true, unsealed_memfd_shrunk},
    {"host-memfd-unsealed", true, host_memfd_unsealed},
    {"host-memfd-too-small", true, host_memfd_too_small},
    {"host-memfd-writable", true, host_memfd_writable},
    {"frames-backwards", true, frames_backwards},
    {"frame-2^63", true, frame_2_63},
    {"timeline-2^63", true, timeline_2_63},
    {"wrong-pixels", true, wrong_pixels},
    {"valid", true, valid},
    {"silent-after-hello", false, silent_after_hello},
    {"silent-after-description", true, silent_after_description},
    {"frame-never-written", true, frame_never_written},
    {"sigstop-after-hello", false, sigstop_after_hello},
    {"sigstop-after-description", true, sigstop_after_description},
};

}  // namespace

std::span<const Mode> modes() {
  return kModes;
}

const Mode* find_mode(std::string_view name) {
  for (const Mode& mode : kModes) {
    if (mode.name == name) return &mode;
  }
  return nullptr;
}

}  // namespace geyser::hostile
