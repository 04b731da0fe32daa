// `geyser bench [--quick] [--json FILE]`: the benchmark matrix of docs/BENCHMARKS.md on the
// user's own machine.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "device_spec.hpp"
#include "matrix.hpp"

namespace geyser::cli {

void register_bench(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "bench", "Measure handoff latency, zero-copy against copying, throughput and memory");
  auto options = std::make_shared<bench::BenchOptions>();
  cmd->add_flag("--quick", options->quick, "Fewer samples: well under a minute");
  cmd->add_option("--json", options->json_path, "Also write the figures as JSON to FILE");
  auto spec = std::make_shared<std::string>();
  add_device_option(*cmd, *spec, "every worker's; default: the best-ranked device");
  cmd->callback([&action, options, spec] {
    options->device = device_selector(*spec);
    action = [options, spec] {
      // Every measurement runs in processes forked from here, before any Vulkan call.
      options->command_line = std::string("geyser bench") + (options->quick ? " --quick" : "") +
                              (options->json_path.empty() ? "" : " --json " + options->json_path) +
                              (spec->empty() ? "" : " --device '" + *spec + "'");
      return bench::run_bench(*options, std::cout) == 0 ? kExitOk : kExitRuntimeError;
    };
  });
}

}  // namespace geyser::cli
