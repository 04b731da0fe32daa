// EventSet on Linux: an epoll instance.
#include <sys/epoll.h>

#include <cerrno>
#include <string>

#include "geyser/ipc/event_set.hpp"

namespace geyser::ipc {

Result<EventSet> EventSet::create() {
  UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd) {
    return fail(
        Error(ErrorCode::Internal, "EventSet: epoll_create1 failed", NativeDomain::Errno, errno));
  }
  return EventSet(std::move(fd));
}

Result<void> EventSet::add(NativeHandle handle) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = handle;
  if (::epoll_ctl(handle_.get(), EPOLL_CTL_ADD, handle, &event) != 0 && errno != EEXIST) {
    return fail(Error(ErrorCode::Internal,
                      "EventSet: epoll_ctl(ADD, fd " + std::to_string(handle) + ") failed",
                      NativeDomain::Errno, errno));
  }
  return {};
}

void EventSet::remove(NativeHandle handle) noexcept {
  (void)::epoll_ctl(handle_.get(), EPOLL_CTL_DEL, handle, nullptr);
}

bool EventSet::wait(std::chrono::milliseconds timeout) const noexcept {
  epoll_event event{};
  const auto ms = timeout.count() < 0 ? 0 : timeout.count();
  for (;;) {
    const int n = ::epoll_wait(handle_.get(), &event, 1, static_cast<int>(ms));
    if (n >= 0) return n > 0;
    if (errno != EINTR) return false;
  }
}

}  // namespace geyser::ipc
