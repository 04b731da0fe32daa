// The platform's OS handle and its owner, under one name for every platform: what share
// handles, the wire codec's handle lists, transports and the memory and semaphore services
// carry. On POSIX it is a file descriptor owned by UniqueFd. The Windows owner of a HANDLE
// (CloseHandle, DuplicateHandle) with the same interface comes with the Windows port: see
// docs/architecture.md, "Where new things go".
#pragma once

#if defined(_WIN32)
#error "Geyser's Windows handle owner is not part of this build yet (docs/architecture.md)"
#else
#include "geyser/unique_fd.hpp"
#endif

namespace geyser {

/// An OS handle as the platform passes it: a file descriptor on POSIX.
using NativeHandle = int;
/// The value of no handle.
inline constexpr NativeHandle kInvalidNativeHandle = -1;
/// Move-only owner of one NativeHandle: get(), valid(), release(), reset(), duplicate().
using UniqueHandle = UniqueFd;

}  // namespace geyser
