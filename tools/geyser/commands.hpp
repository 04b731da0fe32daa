// The subcommands of the `geyser` command. Each one lives in its own file and adds itself
// to the command line with a register_<name> function that main.cpp calls.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace geyser::cli {

/// Exit codes of the `geyser` command (docs/cli.md).
inline constexpr int kExitOk = 0;            ///< the command did what was asked
inline constexpr int kExitRuntimeError = 1;  ///< it could not: no device, a failed call, ...
inline constexpr int kExitUsage = 2;         ///< the command line did not parse

/// What the chosen subcommand does once the whole command line has parsed. Returns the
/// process exit code. Runs outside CLI11's parse, so its errors are never taken for usage
/// errors.
using Action = std::function<int()>;

/// Adds `geyser info [--json]` to `app`. When the command line selects it, its action is
/// stored in `action`, which must outlive the parse.
void register_info(CLI::App& app, Action& action);
/// `geyser demo [--frames N] [--size WxH] [--png FILE]`.
void register_demo(CLI::App& app, Action& action);
/// `geyser list [--json]`.
void register_list(CLI::App& app, Action& action);
/// `geyser send NAME [--size WxH] [--format F] [--fps N] [--frames N] [--slots N]
/// [--color-space S] [--alpha A] [--orientation O] [--metadata TEXT]`.
void register_send(CLI::App& app, Action& action);
/// `geyser recv NAME [--frames N] [--verify] [--png FILE] [--timeout S] [--json |
/// --show-metadata]`.
void register_recv(CLI::App& app, Action& action);
/// `geyser bench [--quick] [--json FILE] [--device NAME]`.
void register_bench(CLI::App& app, Action& action);

}  // namespace geyser::cli
