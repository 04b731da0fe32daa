#include "opaque_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "gl_call.hpp"

namespace geyser::opengl::detail {
namespace {

std::string fd_name(NativeHandle fd) {
  return "import_texture: fd " + std::to_string(fd);
}

// Drivers export memory as memfds (Mesa) or device files and anonymous inodes (NVIDIA),
// never as pipes, sockets, directories, the kernel's memory devices (major 1: /dev/null,
// /dev/zero) or files with a name on a filesystem.
Result<void> check_file_type(NativeHandle fd, const struct stat& st) {
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::Validation, fd_name(fd) + " is a " +
                                           (S_ISFIFO(st.st_mode)   ? "pipe"
                                            : S_ISSOCK(st.st_mode) ? "socket"
                                                                   : "directory") +
                                           ", not an exported memory handle");
  }
  if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1) {
    return fail(ErrorCode::Validation, fd_name(fd) +
                                           " is one of the kernel's memory devices (such as "
                                           "/dev/null), not an exported memory handle");
  }
  if (!S_ISREG(st.st_mode)) return {};
  char target[64] = {};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)).rfind("/memfd:", 0) != 0) {
    return fail(ErrorCode::Validation, fd_name(fd) +
                                           " is a regular file, not an exported memory handle "
                                           "(those are memfds or device files)");
  }
  return {};
}

// A memfd is mapped (MAP_SHARED): if its sender could shrink it, accesses past the new end
// would raise SIGBUS here. Seals are never removed, so one seen now holds; the size is read
// after the seal was seen.
Result<void> check_memfd(NativeHandle fd, std::uint64_t allocation_size) {
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    return fail(Error::from_errno(ErrorCode::Validation,
                                  fd_name(fd) +
                                      " is a regular file that takes no seals (F_GET_SEALS), so "
                                      "nothing stops its sender truncating it",
                                  errno));
  }
  if ((seals & F_SEAL_SHRINK) == 0) {
    return fail(ErrorCode::Validation,
                fd_name(fd) +
                    " is a memfd without F_SEAL_SHRINK: its sender could truncate it "
                    "under the mapping");
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return fail(Error::from_errno(ErrorCode::Validation, fd_name(fd) + ": fstat", errno));
  }
  if (static_cast<std::uint64_t>(st.st_size) < allocation_size) {
    return fail(ErrorCode::Validation, fd_name(fd) + " holds " + std::to_string(st.st_size) +
                                           " bytes, less than the allocation size " +
                                           std::to_string(allocation_size));
  }
  return {};
}

}  // namespace

Result<void> check_opaque_fd(NativeHandle fd, std::uint64_t allocation_size) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    return fail(Error::from_errno(ErrorCode::Validation,
                                  fd_name(fd) + " is not an open file descriptor",
                                  fd < 0 ? EBADF : errno));
  }
  GEYSER_TRY_VOID(check_file_type(fd, st));
  if (S_ISREG(st.st_mode)) return check_memfd(fd, allocation_size);
  return {};
}

Result<void> import_opaque_fd(GLuint memory, const UniqueHandle& fd,
                              std::uint64_t allocation_size) {
  GEYSER_TRY(UniqueHandle dup, fd.duplicate());
  glImportMemoryFdEXT(memory, static_cast<GLuint64>(allocation_size), GL_HANDLE_TYPE_OPAQUE_FD_EXT,
                      dup.get());
  // EXT_memory_object_fd: on success the GL owns the fd; after an error it does not (Mesa
  // reports every error before it takes the fd), so `dup` closes it then.
  GEYSER_TRY_VOID(check_gl("glImportMemoryFdEXT(size " + std::to_string(allocation_size) +
                           ", GL_HANDLE_TYPE_OPAQUE_FD_EXT)"));
  (void)dup.release();
  return {};
}

}  // namespace geyser::opengl::detail
