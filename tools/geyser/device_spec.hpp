// `--device SPEC` of send, recv, demo and bench: one option, one parser
// (geyser::parse_device_spec), and the usage error for a device nobody has.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "geyser/device_selector.hpp"

namespace geyser::cli {

/// Adds `--device SPEC` (stored in `spec`) to `command`; `what` ends the help text.
CLI::Option* add_device_option(CLI::App& command, std::string& spec, std::string_view what);

/// The selector of a --device value add_device_option accepted; "" (not given): any device.
[[nodiscard]] DeviceSelector device_selector(const std::string& spec);

/// Prints "geyser COMMAND: --device: MESSAGE" on stderr, with a hint to `geyser info` when
/// `hint_info` (a device nobody has), and exits with kExitUsage: the command line named a
/// device this API cannot use.
[[noreturn]] void exit_device_usage(std::string_view command, const std::string& message,
                                    bool hint_info = true);

}  // namespace geyser::cli
