// ipc::Signal on Windows: a manual-reset event.
#include <windows.h>

#include <string>

#include "geyser/ipc/signal.hpp"
#include "geyser/win32_error.hpp"

namespace geyser::ipc {

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

}  // namespace geyser::ipc
