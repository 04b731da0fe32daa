// wait_on_address and wake_address over a shared (not FUTEX_PRIVATE) futex.
#include "geyser/ipc/address_wait.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace geyser::ipc {
namespace {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

long futex(const std::atomic<std::uint32_t>& word, int op, std::uint32_t value,
           const timespec* timeout) {
  auto* address = reinterpret_cast<const std::uint32_t*>(&word);
  return syscall(SYS_futex, address, op, value, timeout, nullptr, 0);
}

}  // namespace

Result<void> wait_on_address(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                             std::chrono::nanoseconds timeout) {
  if (timeout <= std::chrono::nanoseconds::zero()) return {};
  const auto ns = timeout.count();
  const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  if (futex(word, FUTEX_WAIT, expected, &ts) != 0 && errno != EAGAIN && errno != EINTR &&
      errno != ETIMEDOUT) {
    return fail(Error::from_errno(ErrorCode::Internal, "wait_on_address: futex", errno));
  }
  return {};
}

void wake_address(std::atomic<std::uint32_t>& word) noexcept {
  (void)futex(word, FUTEX_WAKE, INT_MAX, nullptr);
}

}  // namespace geyser::ipc
