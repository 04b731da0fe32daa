// `geyser bench [--quick] [--json FILE] [--device SPEC] [--cross-device [--recv-device SPEC]]`:
// the benchmark matrix of docs/BENCHMARKS.md on the user's own machine, or its cross-device
// scenario alone.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "device_spec.hpp"
#include "matrix.hpp"

namespace geyser::cli {
namespace {

// The command line as the report records it.
std::string command_line(const bench::BenchOptions& options, const std::string& spec,
                         const std::string& recv_spec) {
  return std::string("geyser bench") + (options.quick ? " --quick" : "") +
         (options.json_path.empty() ? "" : " --json " + options.json_path) +
         (spec.empty() ? "" : " --device '" + spec + "'") +
         (options.cross_device ? " --cross-device" : "") +
         (recv_spec.empty() ? "" : " --recv-device '" + recv_spec + "'");
}

}  // namespace

void register_bench(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "bench", "Measure handoff latency, zero-copy against copying, throughput and memory");
  auto options = std::make_shared<bench::BenchOptions>();
  cmd->add_flag("--quick", options->quick, "Fewer samples: well under a minute");
  cmd->add_option("--json", options->json_path, "Also write the figures as JSON to FILE");
  auto spec = std::make_shared<std::string>();
  add_device_option(*cmd, *spec, "every worker's; default: the best-ranked device");
  auto* cross = cmd->add_flag("--cross-device", options->cross_device,
                              "Only the cross-device scenario: the zero-copy handoff beside "
                              "host frames into the receiver's device, at 1080p and 4K");
  auto recv_spec = std::make_shared<std::string>();
  cmd->add_option("--recv-device", *recv_spec,
                  "With --cross-device: the host-frames receiver's device (the same SPEC as "
                  "--device; default: --device's); on another device it takes host frames")
      ->check(CLI::Validator(
          [](std::string& text) { return text.empty() ? "an empty device SPEC" : ""; }, "SPEC"))
      ->needs(cross);
  cmd->callback([&action, options, spec, recv_spec] {
    options->device = device_selector(*spec);
    options->receiver_device = device_selector(*recv_spec);
    action = [options, spec, recv_spec] {
      // Every measurement runs in processes forked from here, before any Vulkan call, so a
      // device nobody has is found by a worker; run_bench returns kExitUsage then.
      options->command_line = command_line(*options, *spec, *recv_spec);
      const int code = bench::run_bench(*options, std::cout);
      return code == kExitUsage ? kExitUsage : code == 0 ? kExitOk : kExitRuntimeError;
    };
  });
}

}  // namespace geyser::cli
