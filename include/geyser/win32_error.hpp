// Errors from Win32 calls (Windows only): the GetLastError() value as the native code, its
// system message appended to the text.
#pragma once

#include <string>

#include "geyser/error.hpp"

namespace geyser {

/// An Error of `code` for the Win32 error `err`: "MESSAGE: <system text>", native domain
/// NativeDomain::Win32.
[[nodiscard]] Error win32_error(ErrorCode code, std::string message, unsigned long err);

/// win32_error with GetLastError(), read first thing (nothing in between may reset it).
[[nodiscard]] Error last_win32_error(ErrorCode code, std::string message);

}  // namespace geyser
