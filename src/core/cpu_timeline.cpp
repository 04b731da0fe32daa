// CpuTimeline: a sealed memfd page holding a counter, waited on with a shared futex.
#include "geyser/cpu_timeline.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <ctime>
#include <string>

namespace geyser {
namespace {

constexpr std::uint32_t kMagic = 0x4c544547;  // "GETL"
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kPageSize = 4096;

// The shared page. Both atomics are lock-free on every platform Geyser builds for, so
// they work between processes (static_asserts below).
struct Shared {
  std::uint32_t magic;
  std::uint32_t version;
  std::atomic<std::uint64_t> value;
  std::atomic<std::uint32_t> wake_sequence;  // the futex word: bumped on every signal
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(Shared) <= kPageSize);

Shared* shared(void* mapping) {
  return static_cast<Shared*>(mapping);
}

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the waiter and the signaller may be different processes.
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr, 0);
}

Result<void*> map(int fd) {
  void* mapping = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapping == MAP_FAILED) {
    return fail(Error::from_errno(ErrorCode::Internal, "CpuTimeline: mmap", errno));
  }
  return mapping;
}

}  // namespace

Result<CpuTimeline> CpuTimeline::create(std::uint64_t initial) {
  UniqueFd fd(memfd_create("geyser-timeline", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return fail(Error::from_errno(ErrorCode::Internal, "CpuTimeline: memfd_create", errno));
  if (ftruncate(fd.get(), kPageSize) != 0) {
    return fail(Error::from_errno(ErrorCode::OutOfMemory, "CpuTimeline: ftruncate", errno));
  }
  // Sealed size: the other process cannot truncate the page under our mapping.
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return fail(Error::from_errno(ErrorCode::Internal, "CpuTimeline: F_ADD_SEALS", errno));
  }
  GEYSER_TRY(void* mapping, map(fd.get()));
  Shared* s = new (mapping) Shared{kMagic, kVersion, {initial}, {0}};
  (void)s;
  return CpuTimeline(std::move(fd), mapping);
}

Result<CpuTimeline> CpuTimeline::open(UniqueFd fd) {
  struct stat st {};
  if (!fd || fstat(fd.get(), &st) != 0) {
    return fail(Error::from_errno(
        ErrorCode::Validation,
        "CpuTimeline::open: fd " + std::to_string(fd.get()) + " is not an open file descriptor",
        fd ? errno : EBADF));
  }
  const int seals = fcntl(fd.get(), F_GET_SEALS);
  if (!S_ISREG(st.st_mode) || seals < 0 || (seals & F_SEAL_SHRINK) == 0 ||
      static_cast<std::size_t>(st.st_size) != kPageSize) {
    return fail(ErrorCode::Validation, "CpuTimeline::open: fd " + std::to_string(fd.get()) +
                                           " is not a sealed " + std::to_string(kPageSize) +
                                           "-byte memfd");
  }
  GEYSER_TRY(void* mapping, map(fd.get()));
  const Shared* s = shared(mapping);
  if (s->magic != kMagic || s->version != kVersion) {
    munmap(mapping, kPageSize);
    return fail(ErrorCode::Validation,
                "CpuTimeline::open: fd " + std::to_string(fd.get()) +
                    " does not hold a Geyser timeline (bad magic or version)");
  }
  return CpuTimeline(std::move(fd), mapping);
}

CpuTimeline::CpuTimeline(CpuTimeline&& other) noexcept
    : fd_(std::move(other.fd_)), mapping_(std::exchange(other.mapping_, nullptr)) {}

CpuTimeline& CpuTimeline::operator=(CpuTimeline&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, kPageSize);
    fd_ = std::move(other.fd_);
    mapping_ = std::exchange(other.mapping_, nullptr);
  }
  return *this;
}

CpuTimeline::~CpuTimeline() {
  if (mapping_ != nullptr) munmap(mapping_, kPageSize);
}

Result<UniqueFd> CpuTimeline::export_fd() const {
  return fd_.duplicate();
}

std::uint64_t CpuTimeline::value() const noexcept {
  return shared(mapping_)->value.load(std::memory_order_acquire);
}

void CpuTimeline::signal(std::uint64_t value) noexcept {
  Shared* s = shared(mapping_);
  std::uint64_t current = s->value.load(std::memory_order_relaxed);
  while (current < value &&
         !s->value.compare_exchange_weak(current, value, std::memory_order_release,
                                         std::memory_order_relaxed)) {
  }
  s->wake_sequence.fetch_add(1, std::memory_order_release);
  futex(&s->wake_sequence, FUTEX_WAKE, INT_MAX, nullptr);
}

Result<void> CpuTimeline::wait(std::uint64_t value, std::chrono::nanoseconds timeout) const {
  Shared* s = shared(mapping_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Read the sequence before the value: a signal between the two bumps the sequence, so
    // FUTEX_WAIT returns at once instead of sleeping through it.
    const std::uint32_t sequence = s->wake_sequence.load(std::memory_order_acquire);
    if (s->value.load(std::memory_order_acquire) >= value) return {};
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) {
      return fail(ErrorCode::Timeout, "CpuTimeline::wait: value " + std::to_string(value) +
                                          " not reached within " +
                                          std::to_string(timeout.count() / 1000000) +
                                          " ms (it is " + std::to_string(this->value()) + ")");
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    if (futex(&s->wake_sequence, FUTEX_WAIT, sequence, &ts) != 0 && errno != EAGAIN &&
        errno != EINTR && errno != ETIMEDOUT) {
      return fail(Error::from_errno(ErrorCode::Internal, "CpuTimeline::wait: futex", errno));
    }
  }
}

}  // namespace geyser
