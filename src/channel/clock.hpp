// Internal: the channel core's clocks.
#pragma once

#include <chrono>
#include <cstdint>

namespace geyser::channel::detail {

using Clock = std::chrono::steady_clock;

/// What is left of `deadline`, never negative.
[[nodiscard]] inline std::chrono::milliseconds remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

/// CLOCK_MONOTONIC in nanoseconds (what FramePresented carries).
[[nodiscard]] std::uint64_t monotonic_ns() noexcept;

}  // namespace geyser::channel::detail
