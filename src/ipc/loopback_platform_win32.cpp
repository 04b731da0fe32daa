// The loopback transport's platform parts on Windows: a manual-reset event.
#include <windows.h>

#include <cstdio>

#include "geyser/win32_error.hpp"
#include "loopback_platform.hpp"
#include "geyser/win32_security.hpp"

namespace geyser::ipc::loopback_detail {

Result<Signal> Signal::create(const char* what) {
  UniqueHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!event) {
    return fail(last_win32_error(ErrorCode::Internal, std::string(what) + ": CreateEventW"));
  }
  Signal signal;
  signal.handle_ = std::move(event);
  return signal;
}

void Signal::set(bool readable) noexcept {
  if (!handle_ || readable == raised_) return;
  // Cannot fail on an event handle of ours with EVENT_ALL_ACCESS.
  (void)(readable ? SetEvent(handle_.get()) : ResetEvent(handle_.get()));
  raised_ = readable;
}

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
