#include "overlapped_op.hpp"

#include <algorithm>

#include "geyser/win32_error.hpp"

namespace geyser::ipc::win32 {

DWORD wait_ms(Milliseconds timeout) noexcept {
  const auto longest = static_cast<Milliseconds::rep>(INFINITE - 1);
  return static_cast<DWORD>(std::clamp<Milliseconds::rep>(timeout.count(), 0, longest));
}

Result<OverlappedOp> OverlappedOp::create(const char* what) {
  UniqueHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!event) {
    return fail(last_win32_error(ErrorCode::Internal, std::string(what) + ": CreateEventW"));
  }
  return OverlappedOp(std::move(event), std::make_unique<OVERLAPPED>());
}

OVERLAPPED* OverlappedOp::start() noexcept {
  // ReadFile and WriteFile reset the event themselves; ConnectNamedPipe is not documented to.
  (void)ResetEvent(event_.get());
  *overlapped_ = OVERLAPPED{};
  overlapped_->hEvent = event_.get();
  return overlapped_.get();
}

bool OverlappedOp::wait(Milliseconds timeout) const noexcept {
  return WaitForSingleObject(event_.get(), wait_ms(timeout)) == WAIT_OBJECT_0;
}

void OverlappedOp::cancel(HANDLE file) const noexcept {
  // ERROR_NOT_FOUND: nothing in flight any more. Either way, wait until the kernel is done
  // with the OVERLAPPED.
  if (CancelIoEx(file, overlapped_.get()) || GetLastError() != ERROR_NOT_FOUND) {
    DWORD transferred = 0;
    (void)GetOverlappedResult(file, overlapped_.get(), &transferred, TRUE);
  }
}

}  // namespace geyser::ipc::win32
