// ipc::Signal on Linux: an eventfd whose counter is 1 or 0.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "geyser/ipc/signal.hpp"

namespace geyser::ipc {

Result<Signal> Signal::create(const char* what) {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) {
    return fail(Error::from_errno(ErrorCode::Internal, std::string(what) + ": eventfd", errno));
  }
  Signal signal;
  signal.handle_ = std::move(fd);
  return signal;
}

void Signal::set(bool readable) noexcept {
  if (!handle_ || readable == raised_) return;
  std::uint64_t value = 1;
  // Cannot fail: the counter goes 0 -> 1 or 1 -> 0 on a non-blocking eventfd.
  if (readable) {
    (void)::write(handle_.get(), &value, sizeof value);
  } else {
    (void)::read(handle_.get(), &value, sizeof value);
  }
  raised_ = readable;
}

}  // namespace geyser::ipc
