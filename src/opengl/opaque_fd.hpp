// Opaque file descriptors (MemoryHandleType::OpaqueFd) into GL memory objects
// (GL_EXT_memory_object_fd).
#pragma once

#include <epoxy/gl.h>

#include <cstdint>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::opengl::detail {

/// Refuses, without reading from it, an fd that cannot be an exported memory fd: not open,
/// a pipe, socket or directory, one of the kernel's memory devices (/dev/null), a named
/// regular file, or a memfd without F_SEAL_SHRINK or smaller than `allocation_size`.
/// Mesa's GL import read()s the fd and maps it, as lavapipe's does, so these would block or
/// fault later. The same rules as the Vulkan memory service's check_handle. Validation.
[[nodiscard]] Result<void> check_opaque_fd(NativeHandle fd, std::uint64_t allocation_size);

/// Imports a duplicate of `fd` into `memory` (glImportMemoryFdEXT with
/// GL_HANDLE_TYPE_OPAQUE_FD_EXT). `fd` is not consumed. GL owns the duplicate once the call
/// succeeds; on failure it is closed here. Errors name the call.
[[nodiscard]] Result<void> import_opaque_fd(GLuint memory, const UniqueHandle& fd,
                                            std::uint64_t allocation_size);

}  // namespace geyser::opengl::detail
