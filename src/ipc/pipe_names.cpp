#include "pipe_names.hpp"

#include "geyser/ipc/channel_name.hpp"
#include "geyser/win32_security.hpp"

namespace geyser::ipc::pipe_names {

std::wstring widen(std::string_view text) {
  return std::wstring(text.begin(), text.end());
}

bool narrow(std::wstring_view text, std::string& out) {
  out.clear();
  for (const wchar_t c : text) {
    if (c <= 0 || c >= 0x80) return false;
    out += static_cast<char>(c);
  }
  return true;
}

Result<std::string> user_prefix() {
  GEYSER_TRY(const std::string sid, win32::current_user_sid());
  return "geyser-" + sid + "-";
}

Result<std::wstring> pipe(std::string_view name) {
  GEYSER_TRY_VOID(validate_channel_name(name));
  GEYSER_TRY(const std::string prefix, user_prefix());
  return L"\\\\.\\pipe\\" + widen(prefix) + widen(name);
}

Result<std::wstring> mutex(std::string_view name) {
  GEYSER_TRY_VOID(validate_channel_name(name));
  GEYSER_TRY(const std::string prefix, user_prefix());
  // Pipe names are case-insensitive, object names are not: the mutex takes the name in
  // lower case, so that "Cam" and "cam", which are one pipe, are one channel here too.
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return L"Local\\" + widen(prefix) + widen(lower);
}

std::filesystem::path marker(const std::filesystem::path& dir, std::string_view name) {
  return dir / (widen(name) + widen(kMarkerExtension));
}

}  // namespace geyser::ipc::pipe_names
