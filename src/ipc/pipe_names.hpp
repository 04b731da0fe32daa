// The names a channel has on Windows (internal): its pipe, its mutex and its marker file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "geyser/error.hpp"

namespace geyser::ipc::pipe_names {

/// "geyser-<SID>-": what every pipe and mutex name of this user starts with.
[[nodiscard]] Result<std::string> user_prefix();
/// "\\.\pipe\geyser-<SID>-<name>" (the name is validated).
[[nodiscard]] Result<std::wstring> pipe(std::string_view name);
/// "Local\geyser-<SID>-<name in lower case>".
[[nodiscard]] Result<std::wstring> mutex(std::string_view name);
/// "<dir>\<name>.channel".
[[nodiscard]] std::filesystem::path marker(const std::filesystem::path& dir, std::string_view name);
/// The extension of marker files.
inline constexpr std::string_view kMarkerExtension = ".channel";

/// ASCII text as a wide string (names and SIDs are ASCII).
[[nodiscard]] std::wstring widen(std::string_view text);
/// A wide name as ASCII; false when it has a character outside ASCII.
[[nodiscard]] bool narrow(std::wstring_view text, std::string& out);

}  // namespace geyser::ipc::pipe_names
