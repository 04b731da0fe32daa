// let_receiver_sleep: the sender's spin until the receiver is about to block, and 50 us.
#include "handoff_support.hpp"

#include "process.hpp"

namespace geyser::bench {

Result<void> let_receiver_sleep(const std::atomic<std::uint32_t>& blocking, std::uint32_t count,
                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (blocking.load(std::memory_order_acquire) < count) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Timeout, "bench: the receiver did not reach its wait");
    }
  }
  const std::uint64_t until = monotonic_ns() + 50'000;  // 50 us
  while (monotonic_ns() < until) {
  }
  return {};
}

}  // namespace geyser::bench
