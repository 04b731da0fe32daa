// Fuzz target: ipc::BoardReader over a frame board of arbitrary bytes. The input (cut or
// zero-filled to kBoardSize) is written over a region made as a sender makes its board
// (SharedMemory::create, SharedAccess::CreatorWrites) through the creator's mapping; the
// reader maps a share of it, as a receiver maps the board of its StreamDescription, and reads
// everything a receiver reads. Checks that open and every read of a hostile board neither
// crash nor read out of bounds, and that a record it returns says no more metadata than it
// holds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/shared_memory.hpp"

using namespace geyser;

namespace {

// One region for every input: what a sender's board is, made once (a memfd and its seals
// per input would cost more than the reads under test).
ipc::SharedMemory& region() {
  static ipc::SharedMemory memory = [] {
    auto made = ipc::SharedMemory::create("geyser-fuzz-board", ipc::kBoardSize,
                                          ipc::SharedAccess::CreatorWrites);
    if (!made) std::abort();
    return std::move(made).value();
  }();
  return memory;
}

// Reads what a receiver reads of a board.
void read_board(const ipc::BoardReader& board) {
  (void)board.published();
  if (const std::optional<ipc::FrameRecord> record = board.newest()) {
    if (record->metadata_bytes().size() > ipc::kMaxFrameMetadata) std::abort();
    (void)board.slot_frame(record->slot);  // any u32: the receiver checks it only later
  }
  for (std::uint32_t slot = 0; slot < ipc::kBoardSlots; ++slot) (void)board.slot_frame(slot);
  // A wake count that differs from the board's returns at once (EAGAIN): the futex is
  // reached, and 1 us bounds the wait should the word change under us.
  (void)board.wait(board.wake_count() + 1, std::chrono::microseconds(1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ipc::SharedMemory& memory = region();
  const auto bytes = memory.bytes();
  const std::size_t used = std::min(size, bytes.size());
  if (used > 0) std::memcpy(bytes.data(), data, used);
  std::memset(bytes.data() + used, 0, bytes.size() - used);

  auto share = memory.share();
  if (!share) std::abort();
  auto board = ipc::BoardReader::open(std::move(share).value());
  if (!board) {
    if (board.error().code() != ErrorCode::Protocol) {
      std::fprintf(stderr, "BoardReader::open failed with %s, not Protocol\n",
                   board.error().to_string().c_str());
      std::abort();
    }
    return 0;
  }
  read_board(*board);
  return 0;
}
