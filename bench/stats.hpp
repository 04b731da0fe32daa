// Sample summaries for the benchmark matrix: percentiles of latency samples.
#pragma once

#include <cstddef>
#include <vector>

namespace geyser::bench {

/// The summary of a set of samples (microseconds or any other unit).
struct Summary {
  std::size_t count = 0;
  double min = 0.0;
  double p50 = 0.0;
  double p90 = 0.0;
  double p99 = 0.0;
  double max = 0.0;
  double mean = 0.0;
};

/// Nearest-rank percentiles of `samples` (copied and sorted). All zero when empty.
[[nodiscard]] Summary summarize(std::vector<double> samples);

/// a / b, or 0 when b is not positive (the JSON writer turns 0 ratios into what they are:
/// a missing measurement, which the smoke test rejects).
[[nodiscard]] double ratio(double a, double b) noexcept;

}  // namespace geyser::bench
