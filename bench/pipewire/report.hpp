// The PipeWire baseline in the bench's output: the JSON object `pipewire_handoff`, the text
// lines, and the ratios Geyser / PipeWire of the same run against the aim "at most half".
#pragma once

#include <ostream>

#include "json_writer.hpp"
#include "pipewire/scenario.hpp"
#include "scenarios.hpp"

namespace geyser::bench {

/// Geyser over PipeWire, same run, same frame size; all zero unless both were measured.
struct PipewireComparison {
  bool available = false;
  double latency_p50 = 0.0;
  double latency_p99 = 0.0;
  double sender_cpu = 0.0;
  double receiver_cpu = 0.0;
  /// Geyser's sender with the present's signals in its own submission, less that
  /// submission (HandoffRow::sender_cpu_us_per_frame_own_submission).
  double sender_cpu_own_submission = 0.0;
  /// Geyser's receiver with the frame's wait and release signal in its own submission,
  /// less that submission (HandoffRow::receiver_cpu_us_per_frame_own_submission).
  double receiver_cpu_own_submission = 0.0;
};

/// The aim: each of Geyser's figures at most this fraction of PipeWire's.
inline constexpr double kPipewireAim = 0.5;

/// `geyser` is Geyser's handoff row at the outcome's resolution (nullptr: not measured).
[[nodiscard]] PipewireComparison compare(const PipewireOutcome& outcome, const HandoffRow* geyser);

/// Writes "pipewire_handoff": {...}.
void write_pipewire_json(JsonWriter& json, const PipewireOutcome& outcome,
                         const HandoffRow* geyser);

/// The scenario's lines of the text report.
void print_pipewire(std::ostream& out, const PipewireOutcome& outcome, const HandoffRow* geyser);

}  // namespace geyser::bench
