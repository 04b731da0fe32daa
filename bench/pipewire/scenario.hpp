// The PipeWire baseline: the same producer -> consumer handoff as Geyser's handoff scenario
// (one frame at a time, stamped when queued, timed when the consumer gets it), through a
// private PipeWire daemon and two pw_stream processes sharing memfd buffers.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios.hpp"
#include "stats.hpp"

namespace geyser::bench {

struct PipewirePlan {
  Resolution resolution;      ///< RGBA frames of this size
  std::uint32_t warmup = 50;  ///< untimed frames first
  std::uint32_t frames = 1000;
};

struct PipewireResult {
  Resolution resolution;
  std::string version;        ///< the first line naming a version of `pipewire --version`
  std::string data_type;      ///< the buffers' spa_data type as both streams saw it ("MemFd")
  std::uint32_t buffers = 0;  ///< buffers negotiated on the link
  std::uint64_t frames = 0;   ///< timed frames the consumer received
  Summary latency_us;         ///< producer's stamp at queue -> consumer's process callback
  double sender_cpu_us_per_frame = 0.0;    ///< producer process, user+sys, over the timed frames
  double receiver_cpu_us_per_frame = 0.0;  ///< consumer process, the same
  double daemon_cpu_us_per_frame = 0.0;    ///< the daemon's threads, the same window
};

/// What became of the scenario: measured, skipped (PipeWire missing or its daemon did not
/// start; `reason` says which) or failed (`reason` holds the error).
struct PipewireOutcome {
  enum class Status { Measured, Skipped, Failed } status = Status::Skipped;
  std::string reason;
  PipewireResult result;
};

[[nodiscard]] const char* to_string(PipewireOutcome::Status status) noexcept;

/// Runs the baseline; never throws, every problem is in the outcome.
[[nodiscard]] PipewireOutcome run_pipewire_handoff(const Environment& env,
                                                   const PipewirePlan& plan);

}  // namespace geyser::bench
