#include "geyser/win32_security.hpp"

#include <sddl.h>

#include <mutex>

#include "geyser/unique_handle.hpp"
#include "geyser/win32_error.hpp"

namespace geyser::win32 {
namespace {

ErrorCode code_for(DWORD err) {
  return err == ERROR_ACCESS_DENIED ? ErrorCode::PermissionDenied : ErrorCode::Internal;
}

// The TOKEN_USER of `process`'s token, as the bytes GetTokenInformation wrote.
Result<std::vector<std::byte>> token_user(HANDLE process) {
  HANDLE raw = nullptr;
  if (!OpenProcessToken(process, TOKEN_QUERY, &raw)) {
    const DWORD err = GetLastError();
    return fail(win32_error(code_for(err), "OpenProcessToken(TOKEN_QUERY)", err));
  }
  const UniqueHandle token(raw);
  DWORD size = 0;
  (void)GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
  std::vector<std::byte> buffer(size);
  if (size == 0 || !GetTokenInformation(token.get(), TokenUser, buffer.data(), size, &size)) {
    return fail(last_win32_error(ErrorCode::Internal, "GetTokenInformation(TokenUser)"));
  }
  return buffer;
}

Result<std::string> sid_text(PSID sid) {
  LPSTR text = nullptr;
  if (!ConvertSidToStringSidA(sid, &text)) {
    return fail(last_win32_error(ErrorCode::Internal, "ConvertSidToStringSidA"));
  }
  std::string out(text);
  LocalFree(text);
  return out;
}

// Our own SID's bytes (a copy that outlives the TOKEN_USER buffer).
Result<std::vector<std::byte>> current_sid_bytes() {
  GEYSER_TRY(const std::vector<std::byte> user, token_user(GetCurrentProcess()));
  const auto* info = reinterpret_cast<const TOKEN_USER*>(user.data());
  const DWORD length = GetLengthSid(info->User.Sid);
  std::vector<std::byte> sid(length);
  if (!CopySid(length, sid.data(), info->User.Sid)) {
    return fail(last_win32_error(ErrorCode::Internal, "CopySid"));
  }
  return sid;
}

// S-1-3-4, OWNER RIGHTS.
std::vector<std::byte> owner_rights_sid() {
  std::vector<std::byte> sid(GetSidLengthRequired(1));
  SID_IDENTIFIER_AUTHORITY creator = SECURITY_CREATOR_SID_AUTHORITY;
  (void)InitializeSid(sid.data(), &creator, 1);
  *GetSidSubAuthority(sid.data(), 0) = SECURITY_CREATOR_OWNER_RIGHTS_RID;
  return sid;
}

}  // namespace

Result<std::string> process_user_sid(HANDLE process) {
  GEYSER_TRY(const std::vector<std::byte> user, token_user(process));
  return sid_text(reinterpret_cast<const TOKEN_USER*>(user.data())->User.Sid);
}

Result<std::string> current_user_sid() {
  static std::once_flag once;
  static Result<std::string> sid = fail(ErrorCode::Internal, "current_user_sid: not read");
  std::call_once(once, [] { sid = process_user_sid(GetCurrentProcess()); });
  return sid;
}

Result<OwnerOnlySecurity> OwnerOnlySecurity::create(DWORD access) {
  OwnerOnlySecurity security;
  GEYSER_TRY(security.sid_, current_sid_bytes());
  auto* sid = reinterpret_cast<PSID>(security.sid_.data());
  // An ACE for OWNER RIGHTS replaces the owner's implicit READ_CONTROL and WRITE_DAC, so
  // that the owner cannot rewrite the DACL to give itself more.
  const bool restricted = access != GENERIC_ALL;
  security.owner_rights_ = owner_rights_sid();
  auto* owner_rights = reinterpret_cast<PSID>(security.owner_rights_.data());
  const auto acl_size = static_cast<DWORD>(sizeof(ACL) + 2 * sizeof(ACCESS_ALLOWED_ACE) +
                                           GetLengthSid(sid) + GetSidLengthRequired(1));
  security.acl_.resize(acl_size);
  auto* acl = reinterpret_cast<PACL>(security.acl_.data());
  security.descriptor_.resize(SECURITY_DESCRIPTOR_MIN_LENGTH);
  auto* descriptor = reinterpret_cast<PSECURITY_DESCRIPTOR>(security.descriptor_.data());
  const bool built =
      InitializeAcl(acl, acl_size, ACL_REVISION) &&
      AddAccessAllowedAce(acl, ACL_REVISION, access, sid) &&
      (!restricted || AddAccessAllowedAce(acl, ACL_REVISION, READ_CONTROL, owner_rights)) &&
      InitializeSecurityDescriptor(descriptor, SECURITY_DESCRIPTOR_REVISION) &&
      SetSecurityDescriptorDacl(descriptor, TRUE, acl, FALSE);
  if (!built) {
    return fail(last_win32_error(ErrorCode::Internal, "OwnerOnlySecurity: building the DACL"));
  }
  return security;
}

SECURITY_ATTRIBUTES* OwnerOnlySecurity::attributes() noexcept {
  // Filled here, not in create(): the vectors' buffers move with the object, the struct's
  // own address does not.
  attributes_.nLength = sizeof attributes_;
  attributes_.lpSecurityDescriptor = descriptor_.data();
  attributes_.bInheritHandle = FALSE;
  return &attributes_;
}

}  // namespace geyser::win32
