// The loopback transport's platform parts on Windows: our credentials, empty handles.
#include <windows.h>

#include <cstdio>

#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"
#include "loopback_platform.hpp"

namespace geyser::ipc::loopback_detail {

PeerCredentials own_credentials() {
  auto sid = win32::current_user_sid();
  return PeerCredentials{GetCurrentProcessId(), sid ? *sid : std::string()};
}

bool is_empty(NativeHandle handle) noexcept {
  return handle == nullptr || handle == INVALID_HANDLE_VALUE;
}

std::string handle_text(NativeHandle handle) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", handle);
  return text;
}

}  // namespace geyser::ipc::loopback_detail
