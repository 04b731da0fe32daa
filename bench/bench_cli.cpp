// geyser_bench: the benchmark matrix without the `geyser` command.
//
//   geyser_bench [--quick] [--json FILE] [--device SPEC] [--samples N]
//                [--cross-device [--recv-device SPEC]]
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "matrix.hpp"

namespace {

void usage(std::FILE* to) {
  std::fputs(
      "usage: geyser_bench [--quick] [--json FILE] [--device SPEC] [--samples N]\n"
      "                    [--cross-device [--recv-device SPEC]]\n"
      "  --quick        fewer samples, no 4K throughput (under 40 s on lavapipe)\n"
      "  --json FILE    write the report to FILE (docs/BENCHMARKS.md explains the keys)\n"
      "  --device SPEC  the Vulkan device: an index, a UUID or a part of its name\n"
      "  --samples N    handoff samples per resolution\n"
      "  --cross-device only the cross-device scenario (zero-copy beside host frames)\n"
      "  --recv-device SPEC  its host-frames receiver's device (default: --device's)\n",
      to);
}

}  // namespace

int main(int argc, char** argv) {
  geyser::bench::BenchOptions options;
  options.command_line = "geyser_bench";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    options.command_line += " " + std::string(arg);
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--json" && has_value) {
      options.json_path = argv[++i];
      options.command_line += " " + options.json_path;
    } else if (arg == "--device" && has_value) {
      const std::string spec = argv[++i];
      options.device = geyser::parse_device_spec(spec).value_or(geyser::DeviceSelector{});
      options.command_line += " '" + spec + "'";
    } else if (arg == "--cross-device") {
      options.cross_device = true;
    } else if (arg == "--recv-device" && has_value) {
      const std::string spec = argv[++i];
      const auto selector = geyser::parse_device_spec(spec);
      if (!selector) {
        std::fprintf(stderr, "geyser_bench: --recv-device needs a device SPEC\n");
        return 2;
      }
      options.receiver_device = *selector;
      options.command_line += " '" + spec + "'";
    } else if (arg == "--samples" && has_value) {
      const long n = std::strtol(argv[++i], nullptr, 10);
      if (n <= 0 || n > 4096) {
        std::fprintf(stderr, "geyser_bench: --samples must be 1..4096\n");
        return 2;
      }
      options.handoff_samples = static_cast<std::uint32_t>(n);
      options.command_line += " " + std::to_string(n);
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "geyser_bench: unknown or incomplete argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!options.receiver_device.empty() && !options.cross_device) {
    std::fprintf(stderr, "geyser_bench: --recv-device needs --cross-device\n");
    return 2;
  }
  return geyser::bench::run_bench(options, std::cout);
}
