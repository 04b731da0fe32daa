#include "private_dir_win32.hpp"

#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <array>
#include <memory>
#include <string>

#include "geyser/unique_handle.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"

namespace geyser::ipc::win32 {
namespace {

// SYSTEM, Administrators, OWNER RIGHTS: they may open anything of ours anyway.
constexpr std::array<const char*, 3> kTrusted{"S-1-5-18", "S-1-5-32-544", "S-1-3-4"};

struct LocalFreer {
  void operator()(void* p) const noexcept { LocalFree(p); }
};

Result<std::string> text_of(PSID sid) {
  LPSTR text = nullptr;
  if (!ConvertSidToStringSidA(sid, &text)) {
    return fail(last_win32_error(ErrorCode::Internal, "ConvertSidToStringSidA"));
  }
  const std::unique_ptr<char, LocalFreer> owned(text);
  return std::string(text);
}

Result<void> check_kind(HANDLE dir, const std::string& text) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(dir, &info)) {
    return fail(last_win32_error(ErrorCode::Internal,
                                 "runtime directory " + text + ": GetFileInformationByHandle"));
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    return fail(ErrorCode::PermissionDenied,
                "runtime directory " + text +
                    " is a symbolic link or junction; refusing it (it must be a real directory "
                    "owned by us)");
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    return fail(ErrorCode::PermissionDenied,
                "runtime directory " + text + " exists and is not a directory");
  }
  return {};
}

// Every allowing entry of `dacl` that applies to the directory itself names us or kTrusted.
Result<void> check_dacl(const ACL* dacl, const std::string& ours, const std::string& text) {
  if (dacl == nullptr) {
    return fail(ErrorCode::PermissionDenied,
                "runtime directory " + text + " has no DACL, so anyone may open it; refusing it");
  }
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* raw = nullptr;
    if (!GetAce(const_cast<ACL*>(dacl), i, &raw)) {
      return fail(last_win32_error(ErrorCode::Internal, "runtime directory " + text + ": GetAce"));
    }
    const auto* header = static_cast<const ACE_HEADER*>(raw);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE) != 0) {
      continue;
    }
    auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
    GEYSER_TRY(const std::string who, text_of(reinterpret_cast<PSID>(&ace->SidStart)));
    if (who == ours) continue;
    bool trusted = false;
    for (const char* sid : kTrusted) trusted = trusted || who == sid;
    if (!trusted) {
      return fail(ErrorCode::PermissionDenied,
                  "runtime directory " + text + " grants access to " + who + " as well as to us (" +
                      ours +
                      "); refusing it (remove it, or set GEYSER_RUNTIME_DIR to a private "
                      "directory)");
    }
  }
  return {};
}

}  // namespace

Result<void> check_private_dir(const std::filesystem::path& dir) {
  const std::string text = dir.string();
  const UniqueHandle handle(
      CreateFileW(dir.c_str(), READ_CONTROL | FILE_READ_ATTRIBUTES,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                  FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!handle) {
    return fail(
        last_win32_error(ErrorCode::Internal, "runtime directory " + text + ": CreateFileW"));
  }
  GEYSER_TRY_VOID(check_kind(handle.get(), text));
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD err = GetSecurityInfo(handle.get(), SE_FILE_OBJECT,
                                    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                                    nullptr, &dacl, nullptr, &descriptor);
  if (err != ERROR_SUCCESS) {
    return fail(
        win32_error(ErrorCode::Internal, "runtime directory " + text + ": GetSecurityInfo", err));
  }
  const std::unique_ptr<void, LocalFreer> owned(descriptor);
  GEYSER_TRY(const std::string ours, current_user_sid());
  GEYSER_TRY(const std::string owner_text, text_of(owner));
  if (owner_text != ours) {
    return fail(ErrorCode::PermissionDenied, "runtime directory " + text + " is owned by " +
                                                 owner_text + ", not by us (" + ours +
                                                 "); refusing it");
  }
  return check_dacl(dacl, ours, text);
}

}  // namespace geyser::ipc::win32
