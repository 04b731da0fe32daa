// Helpers shared by the sync tests (label sync): timing of waits that must time out, and
// test names; frame_check.hpp has what the peer shares with them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/sync.hpp"
#include "sync/frame_check.hpp"

namespace geyser {
// Readable gtest output for SyncMode parameters.
inline void PrintTo(SyncMode mode, std::ostream* os) {
  *os << to_string(mode);
}
}  // namespace geyser

namespace geyser::test {

/// A wait that must time out has to return at the requested time: not earlier, and not later
/// than this on top. A correctness bound on the timeout (a broken one returns at once or
/// never), not a performance assertion.
inline constexpr std::chrono::milliseconds kTimeoutSlack{2'000};

/// Passes when `result` is a Timeout that came at the requested time: `elapsed` (measured
/// with steady_clock around the call) is at least `timeout` and less than timeout +
/// kTimeoutSlack.
template <typename T>
[[nodiscard]] testing::AssertionResult TimedOutOnTime(const Result<T>& result,
                                                      std::chrono::steady_clock::duration elapsed,
                                                      std::chrono::milliseconds timeout) {
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
  if (result) {
    return testing::AssertionFailure()
           << "succeeded after " << elapsed_ms.count() << " ms where a Timeout was expected";
  }
  if (result.error().code() != ErrorCode::Timeout) {
    return testing::AssertionFailure() << "failed with " << result.error().to_string() << " after "
                                       << elapsed_ms.count() << " ms where a Timeout was expected";
  }
  if (elapsed < timeout) {
    return testing::AssertionFailure() << "timed out after " << elapsed_ms.count()
                                       << " ms, before the requested " << timeout.count() << " ms";
  }
  if (elapsed >= timeout + kTimeoutSlack) {
    return testing::AssertionFailure()
           << "timed out after " << elapsed_ms.count() << " ms, requested " << timeout.count()
           << " ms (allowed up to " << (timeout + kTimeoutSlack).count() << " ms)";
  }
  return testing::AssertionSuccess()
         << "Timeout after " << elapsed_ms.count() << " ms: " << result.error().to_string();
}

/// Runs `call` and returns its result and how long it took.
template <typename Call>
[[nodiscard]] auto timed(Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::make_pair(std::move(result), elapsed);
}

/// Test-name suffix for a SyncMode parameter: "Cpu", "Gpu".
[[nodiscard]] inline std::string mode_name(SyncMode mode) {
  return mode == SyncMode::Gpu ? "Gpu" : "Cpu";
}

/// The same as a name generator for INSTANTIATE_TEST_SUITE_P.
struct ModeName {
  std::string operator()(const testing::TestParamInfo<SyncMode>& param) const {
    return mode_name(param.param);
  }
};

}  // namespace geyser::test
