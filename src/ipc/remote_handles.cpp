#include "remote_handles.hpp"

#include <string>
#include <utility>

#include "geyser/win32_error.hpp"

namespace geyser::ipc::win32 {
namespace {

bool has_exited(HANDLE process) {
  return WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
}

Error duplicate_error(HANDLE process, std::size_t index, DWORD err) {
  const std::string what =
      "named pipe send: DuplicateHandle of handle #" + std::to_string(index) + " into the peer";
  if (has_exited(process)) {
    return Error(ErrorCode::Disconnected, what + ": the peer process has exited",
                 NativeDomain::Win32, static_cast<std::int64_t>(err));
  }
  const ErrorCode code = err == ERROR_INVALID_HANDLE ? ErrorCode::Validation : ErrorCode::Internal;
  return win32_error(code, what, err);
}

}  // namespace

Result<RemoteHandles> RemoteHandles::duplicate(HANDLE process,
                                               std::span<const NativeHandle> handles) {
  RemoteHandles remote(process);
  remote.values_.reserve(handles.size());
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (handles[i] == kInvalidNativeHandle || handles[i] == INVALID_HANDLE_VALUE) {
      return fail(ErrorCode::Validation,
                  "named pipe send: handle #" + std::to_string(i) + " is empty");
    }
    HANDLE copy = nullptr;
    if (!DuplicateHandle(GetCurrentProcess(), handles[i], process, &copy, 0, FALSE,
                         DUPLICATE_SAME_ACCESS)) {
      return fail(duplicate_error(process, i, GetLastError()));
    }
    remote.values_.push_back(reinterpret_cast<std::uintptr_t>(copy));
  }
  return remote;
}

RemoteHandles::RemoteHandles(RemoteHandles&& other) noexcept
    : process_(other.process_), values_(std::exchange(other.values_, {})) {}

RemoteHandles::~RemoteHandles() {
  for (const std::uint64_t value : values_) {
    // Closes the handle in the peer: a DuplicateHandle from there with no target.
    (void)DuplicateHandle(process_, reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value)),
                          nullptr, nullptr, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
  }
}

}  // namespace geyser::ipc::win32
