// CpuTimeline: a shared page holding a counter, waited on through a SharedWake. The layout
// is docs/protocol.md's "The CPU timeline".
#include "geyser/cpu_timeline.hpp"

#include <atomic>
#include <cstring>
#include <string>

namespace geyser {
namespace {

constexpr std::uint32_t kMagic = 0x4c544547;  // "GETL"
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kPageSize = 4096;
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kValueAt = 8;
constexpr std::size_t kWakeAt = 16;  // the wake counter: bumped on every signal
constexpr std::size_t kWakeTagAt = 24;
static_assert(kWakeTagAt + kWakeTagSize <= kPageSize);
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);

std::atomic_ref<std::uint64_t> value_word(const SharedMemory& memory) noexcept {
  return std::atomic_ref<std::uint64_t>(
      *reinterpret_cast<std::uint64_t*>(memory.bytes().data() + kValueAt));
}

std::span<std::byte> wake_counter(const SharedMemory& memory) noexcept {
  return memory.bytes().subspan(kWakeAt, 4);
}

std::span<std::byte> wake_tag(const SharedMemory& memory) noexcept {
  return memory.bytes().subspan(kWakeTagAt, kWakeTagSize);
}

Result<void> check_header(const SharedMemory& memory) {
  std::uint32_t magic = 0;
  std::uint32_t version = 0;
  std::memcpy(&magic, memory.bytes().data() + kMagicAt, 4);
  std::memcpy(&version, memory.bytes().data() + kVersionAt, 4);
  if (magic != kMagic || version != kVersion) {
    return fail(ErrorCode::Validation,
                "CpuTimeline::open: the page does not hold a Geyser timeline (magic " +
                    std::to_string(magic) + ", version " + std::to_string(version) + ")");
  }
  return {};
}

}  // namespace

Result<CpuTimeline> CpuTimeline::create(std::uint64_t initial) {
  GEYSER_TRY(SharedMemory memory,
             SharedMemory::create("geyser-timeline", kPageSize, SharedAccess::PeersWrite));
  std::memcpy(memory.bytes().data() + kMagicAt, &kMagic, 4);
  std::memcpy(memory.bytes().data() + kVersionAt, &kVersion, 4);
  value_word(memory).store(initial, std::memory_order_release);
  GEYSER_TRY(SharedWake wake,
             SharedWake::create(wake_counter(memory), wake_tag(memory), WakeAccess::PeersWake));
  return CpuTimeline(std::move(memory), std::move(wake));
}

Result<CpuTimeline> CpuTimeline::open(UniqueHandle handle) {
  auto memory = SharedMemory::open(std::move(handle), kPageSize, SharedAccess::PeersWrite);
  if (!memory) {
    // Validation for what is no timeline page; Internal when mapping it failed.
    return fail(Error(memory.error().code(), "CpuTimeline::open: " + memory.error().message(),
                      memory.error().native_domain(), memory.error().native_code()));
  }
  GEYSER_TRY_VOID(check_header(*memory));
  auto wake = SharedWake::open(wake_counter(*memory), wake_tag(*memory), WakeAccess::PeersWake);
  if (!wake) {
    return fail(Error(wake.error().code(), "CpuTimeline::open: " + wake.error().message(),
                      wake.error().native_domain(), wake.error().native_code()));
  }
  return CpuTimeline(std::move(memory).value(), std::move(wake).value());
}

Result<UniqueHandle> CpuTimeline::export_handle() const {
  return memory_.share();
}

std::uint64_t CpuTimeline::value() const noexcept {
  return value_word(memory_).load(std::memory_order_acquire);
}

void CpuTimeline::signal(std::uint64_t value) noexcept {
  auto word = value_word(memory_);
  std::uint64_t current = word.load(std::memory_order_relaxed);
  while (current < value && !word.compare_exchange_weak(current, value, std::memory_order_release,
                                                        std::memory_order_relaxed)) {
  }
  wake_.wake();
}

Result<void> CpuTimeline::wait(std::uint64_t value, std::chrono::nanoseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Read the wake counter before the value: a signal between the two bumps the counter,
    // so the wait returns at once instead of sleeping through it.
    const std::uint32_t seen = wake_.count();
    if (this->value() >= value) return {};
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) {
      return fail(ErrorCode::Timeout, "CpuTimeline::wait: value " + std::to_string(value) +
                                          " not reached within " +
                                          std::to_string(timeout.count() / 1000000) +
                                          " ms (it is " + std::to_string(this->value()) + ")");
    }
    GEYSER_TRY_VOID(wake_.wait(seen, std::chrono::duration_cast<std::chrono::nanoseconds>(left)));
  }
}

}  // namespace geyser
