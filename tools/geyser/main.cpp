// The `geyser` command: one CLI11 app, one file per subcommand (see commands.hpp).
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"

#ifndef GEYSER_VERSION
#error "GEYSER_VERSION must be defined by the build (tools/CMakeLists.txt)"
#endif

int main(int argc, char** argv) {
  using namespace geyser::cli;

  CLI::App app{"Geyser: zero-copy GPU texture sharing between processes and APIs.", "geyser"};
  app.set_version_flag("--version", std::string("geyser ") + GEYSER_VERSION,
                       "Print the version and exit");
  app.require_subcommand(1);
  app.footer("Each subcommand has its own --help. Documentation: docs/cli.md");

  Action action;
#ifdef GEYSER_HAVE_VULKAN_CHANNEL
  register_info(app, action);
#endif
#ifdef GEYSER_HAVE_DEMO
  register_demo(app, action);
#endif
  register_list(app, action);
  register_send(app, action);
  register_recv(app, action);
#ifdef GEYSER_HAVE_BENCH
  register_bench(app, action);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help or version for --help/--version (exit code 0) and the message for
    // anything else. Its own codes start at 100; ours are 0, 1 and 2 (docs/cli.md).
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!action) return kExitUsage;  // require_subcommand(1) makes this unreachable

  try {
    return action();
  } catch (const std::exception& e) {
    // Geyser reports failures through Result; what is left is std::bad_alloc and the like.
    std::cerr << "geyser: " << e.what() << '\n';
    return kExitRuntimeError;
  }
}
