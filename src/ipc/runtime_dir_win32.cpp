// Where the named pipe transport keeps its channel markers on Windows.
#include <windows.h>

#include <cstdlib>

#include "geyser/ipc/named_pipe_transport.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"
#include "private_dir_win32.hpp"

namespace geyser::ipc {

Result<std::filesystem::path> runtime_dir_path() {
  if (const wchar_t* dir = _wgetenv(L"GEYSER_RUNTIME_DIR"); dir != nullptr && *dir != L'\0') {
    std::filesystem::path path(dir);
    if (!path.is_absolute()) {
      return fail(ErrorCode::Validation,
                  "GEYSER_RUNTIME_DIR=" + path.string() + " is not an absolute path");
    }
    return path;
  }
  const wchar_t* local = _wgetenv(L"LOCALAPPDATA");
  if (local == nullptr || *local == L'\0') {
    return fail(ErrorCode::Internal, "runtime_dir_win32: %LOCALAPPDATA% is not set");
  }
  return std::filesystem::path(local) / L"geyser";
}

Result<std::filesystem::path> runtime_dir_win32() {
  GEYSER_TRY(std::filesystem::path dir, runtime_dir_path());
  GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create());
  if (!CreateDirectoryW(dir.c_str(), security.attributes()) &&
      GetLastError() != ERROR_ALREADY_EXISTS) {
    return fail(last_win32_error(ErrorCode::Internal,
                                 "runtime_dir_win32: CreateDirectoryW(" + dir.string() + ")"));
  }
  // Made now or before (by us, or by someone who got there first): ours alone, or refused.
  GEYSER_TRY_VOID(win32::check_private_dir(dir));
  return dir;
}

Result<std::filesystem::path> runtime_dir() {
  return runtime_dir_win32();
}

}  // namespace geyser::ipc
