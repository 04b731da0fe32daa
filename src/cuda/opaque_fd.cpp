// Checking and duplicating opaque fds before CUDA imports them.
#include "opaque_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace geyser::cuda::detail {

Result<void> check_opaque_fd(const UniqueHandle& fd, const std::string& what) {
  if (!fd.valid()) return fail(ErrorCode::Validation, what + ": no handle (fd -1)");
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return fail(Error::from_errno(
        ErrorCode::Validation, what + ": fd " + std::to_string(fd.get()) + " is not open", errno));
  }
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::Validation, what + ": fd " + std::to_string(fd.get()) + " is a " +
                                           (S_ISFIFO(st.st_mode)   ? "pipe"
                                            : S_ISSOCK(st.st_mode) ? "socket"
                                                                   : "directory") +
                                           ", not an exported driver handle");
  }
  return {};
}

Result<UniqueHandle> duplicate_for_import(const UniqueHandle& fd, const std::string& what) {
  GEYSER_TRY_VOID(check_opaque_fd(fd, what));
  return fd.duplicate();
}

}  // namespace geyser::cuda::detail
