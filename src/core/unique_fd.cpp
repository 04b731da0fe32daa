#include "geyser/unique_fd.hpp"

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace geyser {

void UniqueFd::reset(int fd) noexcept {
  const int old = std::exchange(fd_, fd);
  if (old < 0 || old == fd) return;
  // On Linux close() releases the descriptor even when it fails with EINTR, so retrying
  // could close an fd another thread has just been given: close once and move on. Keep
  // errno intact so that a destructor never clobbers the caller's error.
  const int saved_errno = errno;
  (void)::close(old);
  errno = saved_errno;
}

Result<UniqueFd> UniqueFd::duplicate() const {
  if (fd_ < 0) {
    return fail(Error::from_errno(ErrorCode::Validation,
                                  "UniqueFd::duplicate: fd " + std::to_string(fd_) + " is empty",
                                  EBADF));
  }
  const int copy = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    const int err = errno;
    const ErrorCode code = err == EBADF ? ErrorCode::Validation : ErrorCode::Internal;
    return fail(Error::from_errno(
        code, "UniqueFd::duplicate: fcntl(" + std::to_string(fd_) + ", F_DUPFD_CLOEXEC)", err));
  }
  return UniqueFd(copy);
}

}  // namespace geyser
