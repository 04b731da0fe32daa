// The frame board and receiver pages over SharedMemory. Offsets are the layout of
// docs/protocol.md ("Shared memory"); every shared word is read and written through
// std::atomic_ref, and a record is read under its seqlock.
#include "geyser/ipc/frame_board.hpp"

#include <cstring>

namespace geyser::ipc {
namespace {

// Board header.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kRecordCountAt = 6;
constexpr std::size_t kRecordSizeAt = 8;
constexpr std::size_t kSlotCountAt = 12;
constexpr std::size_t kWakeAt = 16;
constexpr std::size_t kMailAt = 20;
constexpr std::size_t kPublishedAt = 24;
constexpr std::size_t kWakeTagAt = 32;
constexpr std::size_t kFanOutAt = 48;
constexpr std::size_t kFanOutWordAt = 52;
constexpr std::size_t kPublishedTimeAt = 56;
constexpr std::size_t kSlotFramesAt = 64;
constexpr std::size_t kRecordsAt = kSlotFramesAt + 8 * kBoardSlots;  // 192
// A record.
constexpr std::size_t kLockAt = 0;
constexpr std::size_t kGenerationAt = 8;
constexpr std::size_t kFrameAt = 16;
constexpr std::size_t kTimelineAt = 24;
constexpr std::size_t kTimestampAt = 32;
constexpr std::size_t kSlotAt = 40;
constexpr std::size_t kLayoutAt = 44;
constexpr std::size_t kMetadataSizeAt = 48;
constexpr std::size_t kMetadataAt = 64;
// A receiver page: a 16-byte header, then per slot the claimed and the released frame.
constexpr std::size_t kLateWakesAt = 8;
constexpr std::size_t kSleepersAt = 12;
constexpr std::size_t kPageSlotsAt = 16;

static_assert(kWakeTagAt + kWakeTagSize <= kFanOutAt);
static_assert(kPublishedTimeAt + 8 <= kSlotFramesAt);
static_assert(kRecordsAt + kBoardRecords * kRecordSize <= kBoardSize);
static_assert(kMetadataAt + kMaxFrameMetadata <= kRecordSize);
static_assert(kPageSlotsAt + 16 * kBoardSlots <= kPageSize);
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free);

template <typename T>
std::atomic_ref<T> word(std::span<std::byte> bytes, std::size_t offset) noexcept {
  return std::atomic_ref<T>(*reinterpret_cast<T*>(bytes.data() + offset));
}
std::atomic_ref<std::uint64_t> u64(std::span<std::byte> bytes, std::size_t offset) noexcept {
  return word<std::uint64_t>(bytes, offset);
}
std::atomic_ref<std::uint32_t> u32(std::span<std::byte> bytes, std::size_t offset) noexcept {
  return word<std::uint32_t>(bytes, offset);
}
std::uint16_t read_u16(std::span<std::byte> bytes, std::size_t offset) noexcept {
  std::uint16_t value = 0;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::span<std::byte> wake_counter(const SharedMemory& memory) noexcept {
  return memory.bytes().subspan(kWakeAt, 4);
}
std::span<std::byte> wake_tag(const SharedMemory& memory) noexcept {
  return memory.bytes().subspan(kWakeTagAt, kWakeTagSize);
}
std::span<const std::byte> fan_out_word(const SharedMemory& memory) noexcept {
  return memory.bytes().subspan(kFanOutWordAt, 4);
}

std::uint64_t monotonic_ns() noexcept {
  // steady_clock is CLOCK_MONOTONIC on Linux: one clock for every process of the machine.
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::size_t record_at(std::uint64_t sequence) noexcept {
  return kRecordsAt + static_cast<std::size_t>((sequence - 1) % kBoardRecords) * kRecordSize;
}
std::size_t slot_frame_at(std::uint32_t slot) noexcept {
  return kSlotFramesAt + 8 * static_cast<std::size_t>(slot % kBoardSlots);
}
std::size_t page_slot_at(std::uint32_t slot) noexcept {
  return kPageSlotsAt + 16 * static_cast<std::size_t>(slot % kBoardSlots);
}

void write_header(std::span<std::byte> bytes, std::uint32_t magic) noexcept {
  std::memcpy(bytes.data() + kMagicAt, &magic, 4);
  std::memcpy(bytes.data() + kVersionAt, &kBoardVersion, 2);
}

Result<void> check_header(std::span<std::byte> bytes, std::uint32_t magic, const char* what) {
  std::uint32_t seen = 0;
  std::memcpy(&seen, bytes.data() + kMagicAt, 4);
  const std::uint16_t version = read_u16(bytes, kVersionAt);
  if (seen != magic || version != kBoardVersion) {
    return fail(ErrorCode::Protocol, std::string(what) + ": bad magic or version " +
                                         std::to_string(version) + " (expected " +
                                         std::to_string(kBoardVersion) + ")");
  }
  return {};
}

}  // namespace

// --- BoardWriter ---

Result<BoardWriter> BoardWriter::create() {
  GEYSER_TRY(SharedMemory memory,
             SharedMemory::create("geyser-board", kBoardSize, SharedAccess::CreatorWrites));
  const auto bytes = memory.bytes();
  write_header(bytes, kBoardMagic);
  const auto records = static_cast<std::uint16_t>(kBoardRecords);
  std::memcpy(bytes.data() + kRecordCountAt, &records, 2);
  std::memcpy(bytes.data() + kRecordSizeAt, &kRecordSize, 4);
  std::memcpy(bytes.data() + kSlotCountAt, &kBoardSlots, 4);
  GEYSER_TRY(SharedWake wake,
             SharedWake::create(wake_counter(memory), wake_tag(memory), WakeAccess::CreatorWakes));
  return BoardWriter(std::move(memory), std::move(wake));
}

void BoardWriter::publish(const FrameRecord& record) noexcept {
  announce(record);
  wake_published();
}

void BoardWriter::announce(const FrameRecord& record) noexcept {
  const auto bytes = memory_.bytes();
  const std::uint64_t sequence = published() + 1;
  const std::size_t at = record_at(sequence);
  auto lock = u64(bytes, at + kLockAt);
  lock.store(2 * sequence - 1, std::memory_order_relaxed);  // odd: being written
  std::atomic_thread_fence(std::memory_order_release);
  u64(bytes, at + kGenerationAt).store(record.generation, std::memory_order_relaxed);
  u64(bytes, at + kFrameAt).store(record.frame, std::memory_order_relaxed);
  u64(bytes, at + kTimelineAt).store(record.timeline_value, std::memory_order_relaxed);
  u64(bytes, at + kTimestampAt).store(record.timestamp_ns, std::memory_order_relaxed);
  u32(bytes, at + kSlotAt).store(record.slot, std::memory_order_relaxed);
  u32(bytes, at + kLayoutAt).store(record.layout, std::memory_order_relaxed);
  // The size as given (a reader checks it); never more bytes than the record holds.
  u32(bytes, at + kMetadataSizeAt).store(record.metadata_size, std::memory_order_relaxed);
  const std::size_t size = std::min<std::size_t>(record.metadata_size, kMaxFrameMetadata);
  std::memcpy(bytes.data() + at + kMetadataAt, record.metadata.data(), size);
  lock.store(2 * sequence, std::memory_order_release);
  u64(bytes, kPublishedTimeAt).store(monotonic_ns(), std::memory_order_relaxed);
  // seq_cst: ordered before the sender's reads of the sleepers words that follow, as a
  // receiver's begin_sleep is before its look at this word (docs/protocol.md, "Sleepers").
  u64(bytes, kPublishedAt).store(sequence, std::memory_order_seq_cst);
}

void BoardWriter::wake_published() noexcept {
  if (fan_out_) {
    wake_.wake_one_fan_out(fan_out_word(memory_));  // the one woken wakes the rest
  } else {
    wake_.wake();
  }
}

void BoardWriter::wake() noexcept {
  // The mail word first: a receiver whose wait this wake ends reads the new value.
  u32(memory_.bytes(), kMailAt).fetch_add(1, std::memory_order_release);
  wake_.wake();
  // Waiters still on the fan-out word (their fan-out failed them) hear the mail too.
  SharedWake::wake_fan_out(fan_out_word(memory_));
}

void BoardWriter::set_fan_out(bool on) noexcept {
  if (on == fan_out_) return;
  fan_out_ = on;
  u32(memory_.bytes(), kFanOutAt).store(on ? 1 : 0, std::memory_order_release);
  // Off: nobody may be left on the fan-out word, where receivers no longer look.
  if (!on) SharedWake::wake_fan_out(fan_out_word(memory_));
}

void BoardWriter::set_slot_frame(std::uint32_t slot, std::uint64_t frame) noexcept {
  u64(memory_.bytes(), slot_frame_at(slot)).store(frame, std::memory_order_seq_cst);
}

std::uint64_t BoardWriter::slot_frame(std::uint32_t slot) const noexcept {
  return u64(memory_.bytes(), slot_frame_at(slot)).load(std::memory_order_seq_cst);
}

std::uint64_t BoardWriter::published() const noexcept {
  return u64(memory_.bytes(), kPublishedAt).load(std::memory_order_relaxed);
}

// --- BoardReader ---

Result<BoardReader> BoardReader::open(UniqueHandle handle) {
  auto memory = SharedMemory::open(std::move(handle), kBoardSize, SharedAccess::CreatorWrites);
  if (!memory) return fail(ErrorCode::Protocol, "frame board: " + memory.error().message());
  GEYSER_TRY_VOID(check_header(memory->bytes(), kBoardMagic, "frame board"));
  const auto bytes = memory->bytes();
  std::uint32_t record_size = 0;
  std::uint32_t slots = 0;
  std::memcpy(&record_size, bytes.data() + kRecordSizeAt, 4);
  std::memcpy(&slots, bytes.data() + kSlotCountAt, 4);
  if (read_u16(bytes, kRecordCountAt) != kBoardRecords || record_size != kRecordSize ||
      slots != kBoardSlots) {
    return fail(ErrorCode::Protocol,
                "frame board: " + std::to_string(read_u16(bytes, kRecordCountAt)) + " records of " +
                    std::to_string(record_size) + " bytes for " + std::to_string(slots) +
                    " slots, expected " + std::to_string(kBoardRecords) + " of " +
                    std::to_string(kRecordSize) + " for " + std::to_string(kBoardSlots));
  }
  auto wake = SharedWake::open(wake_counter(*memory), wake_tag(*memory), WakeAccess::CreatorWakes);
  if (!wake) return fail(ErrorCode::Protocol, "frame board: " + wake.error().message());
  return BoardReader(std::move(memory).value(), std::move(wake).value());
}

std::uint64_t BoardReader::published() const noexcept {
  // seq_cst (acquire and more): the look that follows a begin_sleep (docs/protocol.md).
  return u64(memory_.bytes(), kPublishedAt).load(std::memory_order_seq_cst);
}

std::optional<FrameRecord> BoardReader::newest() const noexcept {
  const auto bytes = memory_.bytes();
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::uint64_t sequence = published();
    if (sequence == 0) return std::nullopt;
    const std::size_t at = record_at(sequence);
    auto lock = u64(bytes, at + kLockAt);
    const std::uint64_t before = lock.load(std::memory_order_acquire);
    if (before != 2 * sequence) continue;  // being rewritten: look again
    FrameRecord r;
    r.sequence = sequence;
    r.generation = u64(bytes, at + kGenerationAt).load(std::memory_order_relaxed);
    r.frame = u64(bytes, at + kFrameAt).load(std::memory_order_relaxed);
    r.timeline_value = u64(bytes, at + kTimelineAt).load(std::memory_order_relaxed);
    r.timestamp_ns = u64(bytes, at + kTimestampAt).load(std::memory_order_relaxed);
    r.slot = u32(bytes, at + kSlotAt).load(std::memory_order_relaxed);
    r.layout = u32(bytes, at + kLayoutAt).load(std::memory_order_relaxed);
    r.metadata_size = u32(bytes, at + kMetadataSizeAt).load(std::memory_order_relaxed);
    std::memcpy(r.metadata.data(), bytes.data() + at + kMetadataAt, kMaxFrameMetadata);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (lock.load(std::memory_order_relaxed) == before) return r;
  }
  return std::nullopt;
}

std::uint64_t BoardReader::slot_frame(std::uint32_t slot) const noexcept {
  return u64(memory_.bytes(), slot_frame_at(slot)).load(std::memory_order_seq_cst);
}

std::uint32_t BoardReader::wake_count() const noexcept {
  return wake_.count();
}

std::uint32_t BoardReader::mail_count() const noexcept {
  return u32(memory_.bytes(), kMailAt).load(std::memory_order_acquire);
}

bool BoardReader::fan_out() const noexcept {
  return u32(memory_.bytes(), kFanOutAt).load(std::memory_order_acquire) != 0;
}

Result<void> BoardReader::wait(std::uint32_t seen_wake, std::chrono::nanoseconds timeout) const {
  const std::uint64_t asleep_at = monotonic_ns();
  auto waited = wake_.wait(seen_wake, timeout);
  if (wake_.count() == seen_wake || !fan_out()) return waited;
  // Our duty under fan-out: the sender woke one of us and moved the rest onto the fan-out
  // word; whoever wakes wakes them (usually nobody is left: one cheap system call).
  SharedWake::wake_fan_out(fan_out_word(memory_));
  const std::uint64_t published_at =
      u64(memory_.bytes(), kPublishedTimeAt).load(std::memory_order_relaxed);
  const auto late = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(kFanOutLate).count());
  if (published_at > asleep_at && monotonic_ns() - published_at > late) {
    std::atomic_ref<std::uint32_t>(late_wakes_).fetch_add(1, std::memory_order_relaxed);
  }
  return waited;
}

std::uint32_t BoardReader::late_wakes() const noexcept {
  return std::atomic_ref<std::uint32_t>(late_wakes_).load(std::memory_order_relaxed);
}

void BoardReader::wake_waiters() const noexcept {
  wake_.wake_local();
  SharedWake::wake_fan_out(fan_out_word(memory_));
}

// --- ReceiverPage ---

Result<ReceiverPage> ReceiverPage::create() {
  GEYSER_TRY(SharedMemory memory,
             SharedMemory::create("geyser-receiver-page", kPageSize, SharedAccess::PeersWrite));
  write_header(memory.bytes(), kPageMagic);
  const auto slots = static_cast<std::uint16_t>(kBoardSlots);
  std::memcpy(memory.bytes().data() + kRecordCountAt, &slots, 2);
  return ReceiverPage(std::move(memory));
}

Result<ReceiverPage> ReceiverPage::open(UniqueHandle handle) {
  auto memory = SharedMemory::open(std::move(handle), kPageSize, SharedAccess::PeersWrite);
  if (!memory) return fail(ErrorCode::Protocol, "receiver page: " + memory.error().message());
  GEYSER_TRY_VOID(check_header(memory->bytes(), kPageMagic, "receiver page"));
  return ReceiverPage(std::move(memory).value());
}

void ReceiverPage::claim(std::uint32_t slot, std::uint64_t frame) noexcept {
  u64(memory_.bytes(), page_slot_at(slot)).store(frame, std::memory_order_seq_cst);
}

void ReceiverPage::release(std::uint32_t slot, std::uint64_t frame, bool unread) noexcept {
  const std::uint64_t word = unread ? frame | kReleasedUnread : frame;
  u64(memory_.bytes(), page_slot_at(slot) + 8).store(word, std::memory_order_release);
}

std::uint64_t ReceiverPage::claimed(std::uint32_t slot) const noexcept {
  return u64(memory_.bytes(), page_slot_at(slot)).load(std::memory_order_seq_cst);
}

std::uint64_t ReceiverPage::released(std::uint32_t slot) const noexcept {
  return released_word(slot) & ~kReleasedUnread;
}

void ReceiverPage::report_late_wakes(std::uint32_t count) noexcept {
  u32(memory_.bytes(), kLateWakesAt).store(count, std::memory_order_release);
}

std::uint32_t ReceiverPage::late_wakes() const noexcept {
  return u32(memory_.bytes(), kLateWakesAt).load(std::memory_order_acquire);
}

void ReceiverPage::count_sleepers(bool always_wake) noexcept {
  const std::uint32_t bits = kSleepersCounted | (always_wake ? kSleepersAlwaysWake : 0u);
  u32(memory_.bytes(), kSleepersAt).fetch_or(bits, std::memory_order_seq_cst);
}

void ReceiverPage::begin_sleep() noexcept {
  u32(memory_.bytes(), kSleepersAt).fetch_add(1, std::memory_order_seq_cst);
}

void ReceiverPage::end_sleep() noexcept {
  u32(memory_.bytes(), kSleepersAt).fetch_sub(1, std::memory_order_seq_cst);
}

bool ReceiverPage::may_sleep() const noexcept {
  return u32(memory_.bytes(), kSleepersAt).load(std::memory_order_seq_cst) != kSleepersCounted;
}

std::uint64_t ReceiverPage::released_word(std::uint32_t slot) const noexcept {
  return u64(memory_.bytes(), page_slot_at(slot) + 8).load(std::memory_order_acquire);
}

}  // namespace geyser::ipc
