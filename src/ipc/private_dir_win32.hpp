// Whether a directory on Windows is private to this process's user: what runtime_dir_win32()
// checks of a runtime directory that already exists (Windows only, internal).
#pragma once

#include <filesystem>

#include "geyser/error.hpp"

namespace geyser::ipc::win32 {

/// PermissionDenied, saying why, unless `dir` is a real directory (not a symbolic link or
/// junction: opened without following one) owned by our user whose DACL grants access to
/// no one but our user, SYSTEM, the Administrators group and OWNER RIGHTS (inherit-only
/// entries do not count: they apply to what is created inside). Internal when Windows
/// cannot tell.
[[nodiscard]] Result<void> check_private_dir(const std::filesystem::path& dir);

}  // namespace geyser::ipc::win32
