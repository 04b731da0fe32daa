// The command's POSIX part: stop signals, whether output is a terminal, the runtime
// directory's hint.
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "common.hpp"

namespace geyser::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int /*signal*/) {
  g_stop = 1;
}

}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() and friends return EINTR, loops look again
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

bool stop_requested() noexcept {
  return g_stop != 0;
}

bool is_terminal(std::FILE* out) noexcept {
  return isatty(fileno(out)) != 0;
}

const char* runtime_dir_hint() noexcept {
  return "hint: channels live in $GEYSER_RUNTIME_DIR, else $XDG_RUNTIME_DIR/geyser, else "
         "/tmp/geyser-$UID; it must be a directory of yours with mode 0700. Point "
         "GEYSER_RUNTIME_DIR at one, e.g.\n"
         "  mkdir -m 700 -p ~/.geyser && export GEYSER_RUNTIME_DIR=~/.geyser\n";
}

const char* vulkan_driver_hint() noexcept {
  return "hint: install a Vulkan driver, e.g. apt-get install mesa-vulkan-drivers (lavapipe "
         "runs on the CPU, no GPU needed); `geyser info` shows what the loader sees";
}

}  // namespace geyser::cli
