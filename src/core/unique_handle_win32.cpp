#include <windows.h>

#include <type_traits>

#include "geyser/unique_handle.hpp"
#include "geyser/win32_error.hpp"

namespace geyser {

static_assert(std::is_same_v<NativeHandle, HANDLE>, "NativeHandle must be the Win32 HANDLE");

void UniqueHandle::reset(NativeHandle handle) noexcept {
  const HANDLE old = std::exchange(handle_, normalized(handle));
  if (old == nullptr || old == handle_) return;
  // Keep the thread's last error intact, so that a destructor never clobbers the caller's.
  const DWORD saved = GetLastError();
  (void)CloseHandle(old);
  SetLastError(saved);
}

Result<UniqueHandle> UniqueHandle::duplicate() const {
  if (handle_ == nullptr) {
    return fail(ErrorCode::Validation, "UniqueHandle::duplicate: the handle is empty");
  }
  HANDLE copy = nullptr;
  const HANDLE self = GetCurrentProcess();
  if (!DuplicateHandle(self, handle_, self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    const DWORD err = GetLastError();
    const ErrorCode code =
        err == ERROR_INVALID_HANDLE ? ErrorCode::Validation : ErrorCode::Internal;
    return fail(win32_error(code, "UniqueHandle::duplicate: DuplicateHandle", err));
  }
  return UniqueHandle(copy);
}

}  // namespace geyser
