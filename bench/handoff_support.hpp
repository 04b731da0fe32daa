// What the handoff scenarios (handoff.cpp, gl_handoff.cpp) share: sample buffers that live
// in memory shared across fork, and the sender's wait that lets a receiver fall asleep
// before each timed event.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geyser/error.hpp"

namespace geyser::bench {

inline constexpr std::size_t kMaxSamples = 4096;

/// Up to kMaxSamples values, fixed-size so that it can sit in a shared mapping.
struct Samples {
  std::uint32_t count = 0;
  double values[kMaxSamples];
  void push(double v) noexcept {
    if (count < kMaxSamples) values[count++] = v;
  }
  [[nodiscard]] std::vector<double> vector() const { return {values, values + count}; }
};

/// The sender side: waits until the receiver's count of blocking waits (`blocking`) has
/// reached `count`, then 50 us more, so that it is asleep in the kernel when the event
/// comes and every sample measures a wake-up. Timeout after `timeout`.
[[nodiscard]] Result<void> let_receiver_sleep(const std::atomic<std::uint32_t>& blocking,
                                              std::uint32_t count,
                                              std::chrono::milliseconds timeout);

}  // namespace geyser::bench
