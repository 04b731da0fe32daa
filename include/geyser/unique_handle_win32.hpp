// The platform handle on Windows: a HANDLE and its move-only owner (CloseHandle,
// DuplicateHandle), with the interface UniqueFd has on POSIX. Included by unique_handle.hpp;
// include that one.
//
// The empty value is nullptr. Win32 has two failure values, NULL (CreateEvent,
// CreateFileMapping, OpenProcess) and INVALID_HANDLE_VALUE (CreateFile, CreateNamedPipe),
// and INVALID_HANDLE_VALUE is also GetCurrentProcess()'s pseudo-handle, which is never
// closed: so UniqueHandle stores either failure value as nullptr, and valid() is true for
// every other value. Nothing owns a pseudo-handle.
#pragma once

#include <utility>

#include "geyser/error.hpp"

namespace geyser {

/// An OS handle as the platform passes it: a Win32 HANDLE (spelled void* so that this
/// header does not pull in <windows.h>; the source checks they are the same type).
using NativeHandle = void*;
/// The value of no handle.
inline constexpr NativeHandle kInvalidNativeHandle = nullptr;

/// Owns one HANDLE and closes it (CloseHandle) on destruction. Move-only; nullptr means
/// empty. Not thread-safe: one owner, one thread at a time (get() of a shared const one is
/// fine).
class UniqueHandle {
 public:
  UniqueHandle() noexcept = default;
  /// Takes ownership of `handle`; nullptr and INVALID_HANDLE_VALUE give an empty owner.
  explicit UniqueHandle(NativeHandle handle) noexcept : handle_(normalized(handle)) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& other) noexcept : handle_(other.release()) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  [[nodiscard]] NativeHandle get() const noexcept { return handle_; }
  [[nodiscard]] bool valid() const noexcept { return handle_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }
  /// Gives up ownership and returns the handle; the caller must close it.
  [[nodiscard]] NativeHandle release() noexcept { return std::exchange(handle_, nullptr); }
  /// Closes the owned handle (if any) and takes `handle` (normalized as in the constructor).
  void reset(NativeHandle handle = nullptr) noexcept;
  /// A new handle to the same object in this process, with the same access and not
  /// inheritable (DuplicateHandle, DUPLICATE_SAME_ACCESS); Validation if this is empty or
  /// not a handle of this process.
  [[nodiscard]] Result<UniqueHandle> duplicate() const;

 private:
  static NativeHandle normalized(NativeHandle handle) noexcept {
    // INVALID_HANDLE_VALUE is (HANDLE)-1.
    return handle == reinterpret_cast<NativeHandle>(static_cast<long long>(-1)) ? nullptr : handle;
  }
  NativeHandle handle_ = nullptr;
};

}  // namespace geyser
