// SharedWake on Linux: a shared (not FUTEX_PRIVATE_FLAG) futex on the counter; the tag is
// unused and stays zero. FUTEX_WAIT works on a read-only mapping, so a board's receivers
// wait on the sender's counter without being able to write it.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>

#include "geyser/shared_wake.hpp"

namespace geyser {

struct SharedWake::Platform {};

namespace {

static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free);

std::uint32_t* word(std::byte* counter) noexcept {
  return reinterpret_cast<std::uint32_t*>(counter);
}

long futex(std::byte* counter, int op, std::uint32_t value, const timespec* timeout) noexcept {
  // Not FUTEX_PRIVATE_FLAG: the waiter and the waker may be different processes.
  return syscall(SYS_futex, word(counter), op, value, timeout, nullptr, 0);
}

}  // namespace

SharedWake::SharedWake(std::byte* counter, std::unique_ptr<Platform> platform) noexcept
    : counter_(counter), platform_(std::move(platform)) {}
SharedWake::SharedWake(SharedWake&& other) noexcept = default;
SharedWake& SharedWake::operator=(SharedWake&& other) noexcept = default;
SharedWake::~SharedWake() = default;

Result<SharedWake> SharedWake::create(std::span<std::byte> counter, std::span<std::byte> tag,
                                      WakeAccess /*access*/) {
  if (counter.size() < sizeof(std::uint32_t) || tag.size() < kWakeTagSize) {
    return fail(ErrorCode::Validation, "SharedWake::create: counter or tag too small");
  }
  return SharedWake(counter.data(), nullptr);
}

Result<SharedWake> SharedWake::open(std::span<std::byte> counter, std::span<const std::byte> tag,
                                    WakeAccess /*access*/) {
  if (counter.size() < sizeof(std::uint32_t) || tag.size() < kWakeTagSize) {
    return fail(ErrorCode::Validation, "SharedWake::open: counter or tag too small");
  }
  return SharedWake(counter.data(), nullptr);
}

std::uint32_t SharedWake::count() const noexcept {
  return std::atomic_ref<std::uint32_t>(*word(counter_)).load(std::memory_order_acquire);
}

Result<void> SharedWake::wait(std::uint32_t seen, std::chrono::nanoseconds timeout) const {
  if (timeout <= std::chrono::nanoseconds::zero()) return {};
  const auto ns = timeout.count();
  const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  if (futex(counter_, FUTEX_WAIT, seen, &ts) != 0 && errno != EAGAIN && errno != EINTR &&
      errno != ETIMEDOUT) {
    return fail(Error::from_errno(ErrorCode::Internal, "SharedWake::wait: futex", errno));
  }
  return {};
}

void SharedWake::wake() noexcept {
  std::atomic_ref<std::uint32_t>(*word(counter_)).fetch_add(1, std::memory_order_release);
  (void)futex(counter_, FUTEX_WAKE, INT_MAX, nullptr);
}

void SharedWake::wake_one_fan_out(std::span<const std::byte> fan_out_word) noexcept {
  const std::uint32_t now =
      std::atomic_ref<std::uint32_t>(*word(counter_)).fetch_add(1, std::memory_order_release) + 1;
  // Wakes 1 and requeues the rest (the count travels in the timeout argument's place) while
  // the counter still holds `now`; only this side writes it, so EAGAIN means a peer broke
  // the rules: wake everyone the plain way.
  auto* second = const_cast<std::byte*>(fan_out_word.data());  // the kernel never writes it
  const auto rest = reinterpret_cast<const timespec*>(static_cast<std::uintptr_t>(INT_MAX));
  if (syscall(SYS_futex, word(counter_), FUTEX_CMP_REQUEUE, 1, rest, word(second), now) < 0) {
    (void)futex(counter_, FUTEX_WAKE, INT_MAX, nullptr);
  }
}

void SharedWake::wake_fan_out(std::span<const std::byte> fan_out_word) noexcept {
  (void)futex(const_cast<std::byte*>(fan_out_word.data()), FUTEX_WAKE, INT_MAX, nullptr);
}

void SharedWake::wake_local() const noexcept {
  // A futex wake reaches every process's waiters; the others re-read and wait again.
  (void)futex(counter_, FUTEX_WAKE, INT_MAX, nullptr);
}

}  // namespace geyser
