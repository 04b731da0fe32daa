#include "device_spec.hpp"

#include <cstdlib>
#include <iostream>

#include "commands.hpp"

namespace geyser::cli {

CLI::Option* add_device_option(CLI::App& command, std::string& spec, std::string_view what) {
  const auto validator = CLI::Validator(
      [](std::string& text) -> std::string {
        return parse_device_spec(text) ? std::string() : std::string("an empty device SPEC");
      },
      "SPEC");
  return command
      .add_option("--device", spec,
                  "The device: an index (vkEnumeratePhysicalDevices order; the ordinal for "
                  "--api cuda), a UUID as `geyser info` prints it, or a part of its name; " +
                      std::string(what))
      ->check(validator);
}

DeviceSelector device_selector(const std::string& spec) {
  return parse_device_spec(spec).value_or(DeviceSelector{});
}

void exit_device_usage(std::string_view command, const std::string& message, bool hint_info) {
  std::cerr << "geyser " << command << ": --device: " << message << '\n';
  if (hint_info) std::cerr << "hint: `geyser info` lists the devices with their index and UUID\n";
  std::exit(kExitUsage);
}

}  // namespace geyser::cli
