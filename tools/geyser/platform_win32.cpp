// The command's Windows part: Ctrl-C, Ctrl-Break and closing the console window stop the
// command's loop; whether output is a console; the runtime directory's hint.
#include <io.h>
#include <windows.h>

#include <atomic>
#include <cstdio>

#include "common.hpp"

namespace geyser::cli {
namespace {

std::atomic<bool> g_stop{false};

// Runs on a thread of its own that the system starts. TRUE: handled, the process goes on.
BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT: g_stop.store(true); return TRUE;
    case CTRL_CLOSE_EVENT:
      // The system ends the process once this returns (or after its 5 s timeout): give the
      // command's loop a moment to see the flag and unpublish its channel.
      g_stop.store(true);
      Sleep(2000);
      return TRUE;
    default: return FALSE;
  }
}

}  // namespace

void install_stop_signals() {
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

bool stop_requested() noexcept {
  return g_stop.load();
}

bool is_terminal(std::FILE* out) noexcept {
  return _isatty(_fileno(out)) != 0;
}

const char* runtime_dir_hint() noexcept {
  return "hint: channels live in %GEYSER_RUNTIME_DIR%, else %LOCALAPPDATA%\\geyser; it must be "
         "a directory (not a link) owned by you that grants no one else access. Point "
         "GEYSER_RUNTIME_DIR at a new one, e.g.\n"
         "  set GEYSER_RUNTIME_DIR=%LOCALAPPDATA%\\geyser-private\n";
}

const char* vulkan_driver_hint() noexcept {
  return "hint: sharing needs a Vulkan driver with VK_KHR_external_memory_win32 (the GPU "
         "vendor's driver; Wine from 10.17); `geyser info` shows what the loader sees, and "
         "--api host works without one";
}

}  // namespace geyser::cli
