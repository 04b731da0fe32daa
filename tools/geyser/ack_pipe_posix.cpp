// The acknowledgement pipe of `geyser demo` on POSIX (ack_pipe.hpp): poll(2) and read(2).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "ack_pipe.hpp"

namespace geyser::cli {

void AckReader::read(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return;
  char buffer[256];
  const ssize_t n = ::read(fd_, buffer, sizeof buffer);
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
    closed_ = true;
    return;
  }
  if (n > 0) take(buffer, static_cast<std::size_t>(n));
}

void write_ack(int fd, std::uint64_t frame) {
  if (fd < 0) return;
  const std::string line = std::to_string(frame) + "\n";
  // A pipe write this small is atomic; the sender may be gone (EPIPE, SIGPIPE ignored).
  (void)!::write(fd, line.data(), line.size());
}

}  // namespace geyser::cli
