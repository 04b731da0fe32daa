// The benchmark matrix of docs/BENCHMARKS.md as a library: `geyser bench` and the
// standalone `geyser_bench` both call run_bench.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "geyser/device_selector.hpp"

namespace geyser::bench {

/// What run_bench measures and where it writes.
struct BenchOptions {
  /// Fewer samples and a smaller throughput matrix: well under a minute on lavapipe with
  /// two cores (CI's smoke test). Full mode took 30 s on lavapipe and 42 s on the H100.
  bool quick = false;
  /// Where to write the JSON report; empty: no file.
  std::string json_path;
  /// The device of every worker (`--device SPEC`: index, UUID or a part of the name);
  /// empty: the default device.
  DeviceSelector device;
  /// Handoff samples per resolution; 0: the mode's default (1000 quick, 4000 full).
  std::uint32_t handoff_samples = 0;
  /// Run only the cross-device scenario (`--cross-device`, cross_device.hpp): the
  /// zero-copy handoff beside host frames into `receiver_device`, at 1080p and 4K.
  bool cross_device = false;
  /// The cross-device receiver's device (`--recv-device SPEC`); empty: `device`'s.
  DeviceSelector receiver_device;
  /// Recorded in the report as the command that produced it.
  std::string command_line;
};

/// Runs the whole matrix: handoff latency beside a bare socket, zero-copy against copying,
/// throughput and memory. Every measurement happens in worker processes forked from the
/// calling process, which therefore must not have initialised Vulkan (fork after Vulkan
/// init is unsafe); run_bench itself never does. Progress and a summary go to
/// `human_out`, errors too. Returns a process exit code: 0 when every scenario ran (and the
/// JSON file, if asked for, was written), 1 otherwise (the JSON file then still holds what
/// was measured, with the errors listed under "errors"). With `cross_device`, runs that
/// scenario alone, and returns 2 when `device` or `receiver_device` names no device.
int run_bench(const BenchOptions& options, std::ostream& human_out);

}  // namespace geyser::bench
