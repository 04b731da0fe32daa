// Who we are on Windows, and objects only we may open: the user SID of a process's token,
// and a security descriptor whose DACL grants our user alone (Windows only, internal to
// Geyser: the core's shared memory and wakes and the IPC layer's pipes use it).
#pragma once

#include <windows.h>

#include <cstddef>
#include <string>
#include <vector>

#include "geyser/error.hpp"

namespace geyser::win32 {

/// The user SID of `process`'s token as text, "S-1-5-21-...". Needs
/// PROCESS_QUERY_LIMITED_INFORMATION on it; Internal (PermissionDenied for access denied).
[[nodiscard]] Result<std::string> process_user_sid(HANDLE process);

/// This process's user SID as text, read once and kept.
[[nodiscard]] Result<std::string> current_user_sid();

/// Security attributes for a new pipe, mutex, file or section: a DACL with one ACE that
/// grants this process's user `access`, so no other user (and no administrator who has not
/// taken ownership) may open it; not inheritable. With less than GENERIC_ALL, a second ACE
/// gives OWNER RIGHTS only READ_CONTROL, so that not even our user can widen its access
/// later (a new handle asked of DuplicateHandle is checked against this DACL; the creator's
/// own handle has the access it asked for). Move-only (attributes() points into it).
class OwnerOnlySecurity {
 public:
  [[nodiscard]] static Result<OwnerOnlySecurity> create(DWORD access = GENERIC_ALL);
  OwnerOnlySecurity(OwnerOnlySecurity&&) noexcept = default;
  OwnerOnlySecurity& operator=(OwnerOnlySecurity&&) noexcept = default;
  OwnerOnlySecurity(const OwnerOnlySecurity&) = delete;
  OwnerOnlySecurity& operator=(const OwnerOnlySecurity&) = delete;
  ~OwnerOnlySecurity() = default;

  /// For CreateNamedPipe, CreateMutex, CreateFile, CreateFileMapping. Valid while this lives.
  [[nodiscard]] SECURITY_ATTRIBUTES* attributes() noexcept;

 private:
  OwnerOnlySecurity() = default;
  std::vector<std::byte> sid_;           // our user's SID, which the ACE points into
  std::vector<std::byte> owner_rights_;  // S-1-3-4
  std::vector<std::byte> acl_;
  std::vector<std::byte> descriptor_;
  SECURITY_ATTRIBUTES attributes_{};
};

}  // namespace geyser::win32

// The IPC layer's Win32 helpers live in geyser::ipc::win32 too (overlapped_op.hpp,
// remote_handles.hpp), so its code names these as win32::... from there.
namespace geyser::ipc::win32 {
using geyser::win32::current_user_sid;
using geyser::win32::OwnerOnlySecurity;
using geyser::win32::process_user_sid;
}  // namespace geyser::ipc::win32
