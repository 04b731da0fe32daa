// What kind of kernel object a HANDLE names (Windows): NtQueryObject and NtQuerySection.
#include "win32_object.hpp"

#include <windows.h>
#include <winternl.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "geyser/win32_error.hpp"

namespace geyser::vulkan::detail {
namespace {

// Object types that are never a driver's exported payload of either kind: I/O objects and
// the process's own.
constexpr std::array<std::string_view, 11> kNeverPayload = {
    "File",         "Process", "Thread",  "Token",         "Key",         "Directory",
    "SymbolicLink", "Job",     "Desktop", "WindowStation", "IoCompletion"};
// The OS's synchronisation objects: never memory. (A semaphore's payload could be one on
// some implementation, so they are not refused as semaphores.)
constexpr std::array<std::string_view, 4> kOsSync = {"Event", "Semaphore", "Mutant", "Timer"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view type) noexcept {
  return std::find(list.begin(), list.end(), type) != list.end();
}

// NtQuerySection's SectionBasicInformation (class 0), which Win32 does not wrap.
struct SectionBasicInformation {
  void* base = nullptr;
  ULONG attributes = 0;
  LARGE_INTEGER size{};
};
using NtQuerySectionFn = NTSTATUS(NTAPI*)(HANDLE, int, void*, SIZE_T, SIZE_T*);

}  // namespace

std::string win32_handle_text(NativeHandle handle) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(handle)));
  return buf;
}

Result<std::string> win32_object_type(NativeHandle handle, std::string_view call,
                                      std::string_view what) {
  const std::string prefix = std::string(call) + ": ";
  if (handle == nullptr) {
    return fail(ErrorCode::Validation, prefix + "the handle is empty, not " + std::string(what));
  }
  DWORD flags = 0;
  if (!GetHandleInformation(handle, &flags)) {
    return fail(win32_error(
        ErrorCode::Validation,
        prefix + "handle " + win32_handle_text(handle) + " is not an open handle of this process",
        GetLastError()));
  }
  // PUBLIC_OBJECT_TYPE_INFORMATION is followed by the name it points to: a page holds
  // every type name there is.
  alignas(8) std::array<unsigned char, 1024> buffer{};
  ULONG length = 0;
  const NTSTATUS status = NtQueryObject(handle, ObjectTypeInformation, buffer.data(),
                                        static_cast<ULONG>(buffer.size()), &length);
  const auto* info = reinterpret_cast<const PUBLIC_OBJECT_TYPE_INFORMATION*>(buffer.data());
  if (status != 0 || info->TypeName.Buffer == nullptr) {
    char code[16];
    std::snprintf(code, sizeof code, "0x%08lx", static_cast<unsigned long>(status));
    return fail(ErrorCode::Validation, prefix + "the type of handle " + win32_handle_text(handle) +
                                           " cannot be read (NtQueryObject status " + code + ")");
  }
  // Type names are ASCII.
  std::string type;
  for (USHORT i = 0; i < info->TypeName.Length / sizeof(WCHAR); ++i) {
    const WCHAR c = info->TypeName.Buffer[i];
    type.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  }
  return type;
}

bool could_be_memory(std::string_view type) noexcept {
  return !listed(kNeverPayload, type) && !listed(kOsSync, type);
}

bool could_be_semaphore(std::string_view type) noexcept {
  return !listed(kNeverPayload, type) && type != "Section";
}

std::optional<std::uint64_t> section_size(NativeHandle handle) noexcept {
  static const auto query = reinterpret_cast<NtQuerySectionFn>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQuerySection")));
  SectionBasicInformation info;
  if (query == nullptr || query(handle, 0, &info, sizeof info, nullptr) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(info.size.QuadPart);
}

}  // namespace geyser::vulkan::detail
