// The platform's OS handle and its owner, under one name for every platform: what share
// handles, the wire codec's handle lists, transports and the memory and semaphore services
// carry. On POSIX it is a file descriptor owned by UniqueFd; on Windows a HANDLE owned by
// the UniqueHandle of unique_handle_win32.hpp (CloseHandle, DuplicateHandle), with the same
// interface. See docs/architecture.md, "The platform handle".
#pragma once

#if defined(_WIN32)
#include "geyser/unique_handle_win32.hpp"
#else
#include "geyser/unique_fd.hpp"

namespace geyser {

/// An OS handle as the platform passes it: a file descriptor on POSIX.
using NativeHandle = int;
/// The value of no handle.
inline constexpr NativeHandle kInvalidNativeHandle = -1;
/// Move-only owner of one NativeHandle: get(), valid(), release(), reset(), duplicate().
using UniqueHandle = UniqueFd;

}  // namespace geyser
#endif
