#include "geyser/win32_error.hpp"

#include <windows.h>

namespace geyser {
namespace {

// The system's text for `err`, without its trailing line break, or "Win32 error N".
std::string system_text(DWORD err) {
  char buffer[512] = {};
  const DWORD size =
      FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, err, 0,
                     buffer, static_cast<DWORD>(sizeof buffer), nullptr);
  std::string text(buffer, size);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? "Win32 error " + std::to_string(err) : text;
}

}  // namespace

Error win32_error(ErrorCode code, std::string message, unsigned long err) {
  message += ": ";
  message += system_text(err);
  return Error(code, std::move(message), NativeDomain::Win32, static_cast<std::int64_t>(err));
}

Error last_win32_error(ErrorCode code, std::string message) {
  const DWORD err = GetLastError();
  return win32_error(code, std::move(message), err);
}

}  // namespace geyser
