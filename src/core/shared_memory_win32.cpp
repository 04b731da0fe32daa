// SharedMemory over an unnamed, pagefile-backed file-mapping section (Windows).
//
// A section never changes size, so no peer can make our reads fault as a shrunk memfd would.
// Who may write is settled by access rights instead of seals: the section's DACL grants our
// user only what the mode allows (read, or read and write) and gives OWNER RIGHTS nothing
// but READ_CONTROL, so DuplicateHandle cannot widen a handle later; the creator maps its
// writable view from the handle CreateFileMapping gave it, then keeps (and shares) only a
// handle with the mode's access. A CreatorWrites receiver therefore gets a handle that
// cannot map the section writable, and open() refuses one that could.
#include <windows.h>
#include <winternl.h>

#include <string>
#include <utility>

#include "geyser/shared_memory.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"

namespace geyser {
namespace {

// What a section's handle may do in each mode: query its size, map it (and write it).
DWORD section_access(SharedAccess access) {
  const DWORD read = SECTION_QUERY | SECTION_MAP_READ;
  return access == SharedAccess::PeersWrite ? read | SECTION_MAP_WRITE : read;
}

std::size_t page_rounded(std::size_t size) {
  SYSTEM_INFO info{};
  GetSystemInfo(&info);
  const std::size_t page = info.dwPageSize;
  return (size + page - 1) / page * page;
}

// NtQuerySection's SectionBasicInformation (class 0), which Win32 does not wrap.
struct SectionBasicInformation {
  void* base = nullptr;
  ULONG attributes = 0;
  LARGE_INTEGER size{};
};
using NtQuerySectionFn = NTSTATUS(NTAPI*)(HANDLE, int, void*, SIZE_T, SIZE_T*);

// The section's size, or nothing when `handle` is no section we may query.
bool section_size(HANDLE handle, std::size_t& size) {
  static const auto query = reinterpret_cast<NtQuerySectionFn>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQuerySection")));
  SectionBasicInformation info;
  if (query == nullptr || query(handle, 0, &info, sizeof info, nullptr) != 0) return false;
  size = static_cast<std::size_t>(info.size.QuadPart);
  return true;
}

// The access `handle` was granted (NtQueryObject, ObjectBasicInformation).
bool granted_access(HANDLE handle, ACCESS_MASK& access) {
  PUBLIC_OBJECT_BASIC_INFORMATION info{};
  ULONG length = 0;
  if (NtQueryObject(handle, ObjectBasicInformation, &info, sizeof info, &length) != 0) return false;
  access = info.GrantedAccess;
  return true;
}

// Windows rounds a section up to whole pages (Wine reports the rounded size, Windows the
// exact one), so sizes are compared in pages: either way every byte of `size` is mapped.
Result<void> check_received(HANDLE handle, std::size_t size, SharedAccess access) {
  std::size_t actual = 0;
  if (handle == nullptr || !section_size(handle, actual)) {
    return fail(ErrorCode::Validation,
                "SharedMemory::open: not a file-mapping section (or not queryable)");
  }
  if (page_rounded(actual) != page_rounded(size)) {
    return fail(ErrorCode::Validation, "SharedMemory::open: expected a section of " +
                                           std::to_string(size) + " bytes, got " +
                                           std::to_string(actual));
  }
  ACCESS_MASK granted = 0;
  if (access == SharedAccess::CreatorWrites &&
      (!granted_access(handle, granted) || (granted & SECTION_MAP_WRITE) != 0)) {
    return fail(ErrorCode::Validation,
                "SharedMemory::open: the section's handle may map it writable, so other peers "
                "could write it too; expected a read-only handle");
  }
  return {};
}

Result<std::byte*> map(HANDLE section, std::size_t size, bool writable, const char* what) {
  void* data = MapViewOfFile(section, writable ? FILE_MAP_WRITE : FILE_MAP_READ, 0, 0, size);
  if (data == nullptr) {
    const DWORD err = GetLastError();
    const ErrorCode code = err == ERROR_ACCESS_DENIED ? ErrorCode::Validation : ErrorCode::Internal;
    return fail(win32_error(code, std::string(what) + ": MapViewOfFile", err));
  }
  return static_cast<std::byte*>(data);
}

// A handle to `section` with only `access`: what the creator keeps and shares.
Result<UniqueHandle> narrowed(HANDLE section, DWORD access) {
  HANDLE copy = nullptr;
  const HANDLE self = GetCurrentProcess();
  if (!DuplicateHandle(self, section, self, &copy, access, FALSE, 0)) {
    return fail(last_win32_error(ErrorCode::Internal, "SharedMemory::create: DuplicateHandle"));
  }
  return UniqueHandle(copy);
}

}  // namespace

Result<SharedMemory> SharedMemory::create(const std::string& /*name*/, std::size_t size,
                                          SharedAccess access) {
  if (size == 0) return fail(ErrorCode::Validation, "SharedMemory::create: size 0");
  GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create(section_access(access)));
  const auto wide = static_cast<unsigned long long>(size);
  // Unnamed: a name would let any process of ours open it by name.
  const UniqueHandle section(CreateFileMappingW(INVALID_HANDLE_VALUE, security.attributes(),
                                                PAGE_READWRITE, static_cast<DWORD>(wide >> 32),
                                                static_cast<DWORD>(wide), nullptr));
  if (!section) {
    return fail(last_win32_error(
        ErrorCode::OutOfMemory,
        "SharedMemory::create: CreateFileMappingW of " + std::to_string(size) + " bytes"));
  }
  GEYSER_TRY(UniqueHandle kept, narrowed(section.get(), section_access(access)));
  GEYSER_TRY(std::byte * data, map(section.get(), size, true, "SharedMemory::create"));
  return SharedMemory(std::move(kept), data, size, true);
}

Result<SharedMemory> SharedMemory::open(UniqueHandle handle, std::size_t size,
                                        SharedAccess access) {
  GEYSER_TRY_VOID(check_received(handle.get(), size, access));
  const bool writable = access == SharedAccess::PeersWrite;
  GEYSER_TRY(std::byte * data, map(handle.get(), size, writable, "SharedMemory::open"));
  return SharedMemory(std::move(handle), data, size, writable);
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : handle_(std::move(other.handle_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      writable_(other.writable_) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) UnmapViewOfFile(data_);
    handle_ = std::move(other.handle_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    writable_ = other.writable_;
  }
  return *this;
}

SharedMemory::~SharedMemory() {
  if (data_ != nullptr) UnmapViewOfFile(data_);
}

Result<UniqueHandle> SharedMemory::share() const {
  return handle_.duplicate();
}

}  // namespace geyser
