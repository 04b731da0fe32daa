// Internal: the opaque fds CUDA imports (CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD,
// CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD), checked before the driver sees
// them.
#pragma once

#include <string>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::cuda::detail {

/// Refuses, without reading from it, an fd that cannot be a driver's export: not open, or
/// a pipe, socket or directory (a peer could send one). Validation naming `what`.
[[nodiscard]] Result<void> check_opaque_fd(const UniqueHandle& fd, const std::string& what);

/// check_opaque_fd, then a duplicate of `fd` for an import: CUDA owns an imported fd only
/// once the import succeeded, so the caller passes the duplicate's number to the driver,
/// release()s it on success and lets it close on failure (docs/architecture.md, "Core
/// decisions", ownership). `fd` is not consumed.
[[nodiscard]] Result<UniqueHandle> duplicate_for_import(const UniqueHandle& fd,
                                                        const std::string& what);

}  // namespace geyser::cuda::detail
