// The protocol-v2 aims in the bench's output: each figure of the same run against its
// target (docs/BENCHMARKS.md, "Aims"). Reported, never asserted: a missed aim is no failure.
#pragma once

#include <ostream>

#include "gl_handoff.hpp"
#include "json_writer.hpp"
#include "pipewire/report.hpp"
#include "scenarios.hpp"

namespace geyser::bench {

/// The rows the aims are judged on (nullptr: not measured in this run).
struct AimInputs {
  const HandoffRow* handoff = nullptr;          ///< 1920x1080
  const ThroughputRow* one_receiver = nullptr;  ///< 1920x1080, 1 receiver
  const ThroughputRow* eight_receivers = nullptr;
  PipewireComparison pipewire;
  /// Measured only when its status is Ok (and its CUDA part only when that was measured).
  const GlHandoffOutcome* gl_handoff = nullptr;
  /// The same rows with the present's signals in the producer's own submission.
  const ThroughputRow* one_receiver_own_submission = nullptr;
  const ThroughputRow* eight_receivers_own_submission = nullptr;
};

/// Writes "aims": [{"aim", "measured", "target", "kind": "at_most"|"at_least", "met"}...];
/// an aim whose figure was not measured has measured and met null.
void write_aims_json(JsonWriter& json, const AimInputs& inputs);

/// One line per aim.
void print_aims(std::ostream& out, const AimInputs& inputs);

}  // namespace geyser::bench
