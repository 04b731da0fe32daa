#include "geyser/ipc/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

namespace geyser::ipc {
namespace {

using Clock = std::chrono::steady_clock;

// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr std::size_t kScmMaxFd = 253;

// errno -> ErrorCode for the socket calls: a vanished peer is Disconnected, a refused
// permission PermissionDenied, exhausted buffers OutOfMemory, misuse Validation.
ErrorCode code_for_errno(int err) {
  switch (err) {
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
    case ECONNREFUSED: return ErrorCode::Disconnected;
    case EACCES:
    case EPERM: return ErrorCode::PermissionDenied;
    case ENOMEM:
    case ENOBUFS: return ErrorCode::OutOfMemory;
    case EBADF:
    case ENOTSOCK:
    case EINVAL:
    case EMSGSIZE:
    case EADDRINUSE:
    case ENAMETOOLONG: return ErrorCode::Validation;
    default: return ErrorCode::Internal;
  }
}

Error errno_error(std::string what, int err) {
  return Error::from_errno(code_for_errno(err), std::move(what), err);
}

std::string ms_text(Milliseconds timeout) {
  return std::to_string(timeout.count()) + " ms";
}

// Waits until `fd` is ready for `events` or `deadline` passes. Returns true when ready
// (including POLLHUP/POLLERR: the following syscall reports what happened), false on timeout.
Result<bool> wait_until(int fd, short events, Clock::time_point deadline, const char* what) {
  for (;;) {
    const auto remaining =
        std::chrono::ceil<Milliseconds>(std::max(deadline - Clock::now(), Clock::duration::zero()));
    const int wait_ms = static_cast<int>(std::min<Milliseconds::rep>(remaining.count(), INT_MAX));
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(std::string(what) + ": poll(fd " + std::to_string(fd) + ")", errno));
    }
    if (ready == 0) {
      if (Clock::now() >= deadline) return false;
      continue;  // woke early (rounding): wait for the rest
    }
    if ((entry.revents & POLLNVAL) != 0) {
      return fail(ErrorCode::Validation,
                  std::string(what) + ": fd " + std::to_string(fd) + " is not an open descriptor");
    }
    return true;
  }
}

Result<sockaddr_un> make_address(const std::filesystem::path& path, const char* what) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string& text = path.native();
  // sun_path needs room for the terminating NUL: a path that fills it exactly would be
  // read back by other tools (and by us, in listings) without its last byte.
  if (text.empty() || text.size() >= sizeof(address.sun_path)) {
    return fail(ErrorCode::Validation, std::string(what) + ": socket path \"" + text + "\" is " +
                                           std::to_string(text.size()) +
                                           " bytes; sockaddr_un holds 1.." +
                                           std::to_string(sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, text.data(), text.size());
  return address;
}

// Moves every SCM_RIGHTS descriptor of `message` into `out` at once, so that none can leak
// on any later error path.
void take_fds(msghdr& message, std::vector<UniqueFd>& out) {
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* data = CMSG_DATA(header);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, data + i * sizeof(int), sizeof(int));  // cmsg data may be unaligned
      out.emplace_back(fd);
    }
  }
}

}  // namespace

Result<std::pair<UniqueFd, UniqueFd>> socket_pair() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail(errno_error("socket_pair: socketpair(AF_UNIX, SOCK_SEQPACKET)", errno));
  }
  return std::pair<UniqueFd, UniqueFd>(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Result<void> send_message(const UniqueFd& socket, std::span<const std::uint8_t> bytes,
                          std::span<const int> fds, Milliseconds timeout) {
  if (bytes.empty()) {
    // A zero-length SEQPACKET message reads as EOF on the other side.
    return fail(ErrorCode::Validation, "send_message: message is empty");
  }
  if (fds.size() > kScmMaxFd) {
    return fail(ErrorCode::Validation, "send_message: " + std::to_string(fds.size()) +
                                           " fds attached; the kernel allows at most " +
                                           std::to_string(kScmMaxFd));
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i] < 0) {
      return fail(ErrorCode::Validation, "send_message: fd #" + std::to_string(i) + " is " +
                                             std::to_string(fds[i]) + " (empty)");
    }
  }
  const std::size_t fd_bytes = fds.size() * sizeof(int);
  // cmsghdr elements keep the control buffer aligned as CMSG_* expect.
  std::vector<cmsghdr> control((CMSG_SPACE(fd_bytes) + sizeof(cmsghdr) - 1) / sizeof(cmsghdr));
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    iovec io{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    if (!fds.empty()) {
      message.msg_control = control.data();
      message.msg_controllen = CMSG_SPACE(fd_bytes);
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN(fd_bytes);
      std::memcpy(CMSG_DATA(header), fds.data(), fd_bytes);
    }
    GEYSER_TRY(const bool ready, wait_until(socket.get(), POLLOUT, deadline, "send_message"));
    if (!ready) {
      return fail(ErrorCode::Timeout, "send_message: socket " + std::to_string(socket.get()) +
                                          " had no room for " + std::to_string(bytes.size()) +
                                          " bytes within " + ms_text(timeout));
    }
    // MSG_NOSIGNAL: a closed peer gives EPIPE instead of killing us with SIGPIPE.
    // MSG_DONTWAIT: poll said writable, but never block if that changed meanwhile.
    const ssize_t sent = ::sendmsg(socket.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      // SOCK_SEQPACKET sends a message whole or not at all.
      if (static_cast<std::size_t>(sent) != bytes.size()) {
        return fail(ErrorCode::Internal, "send_message: sendmsg sent " + std::to_string(sent) +
                                             " of " + std::to_string(bytes.size()) + " bytes");
      }
      return {};
    }
    const int err = errno;
    if (err == EINTR || err == EAGAIN) continue;
    return fail(errno_error("send_message: sendmsg(fd " + std::to_string(socket.get()) + ", " +
                                std::to_string(bytes.size()) + " bytes, " +
                                std::to_string(fds.size()) + " fds)",
                            err));
  }
}

Result<ReceivedMessage> receive_message(const UniqueFd& socket, std::size_t max_bytes,
                                        std::size_t max_fds, Milliseconds timeout) {
  ReceivedMessage received;
  const std::size_t control_size = CMSG_SPACE(std::max<std::size_t>(max_fds, 1) * sizeof(int));
  std::vector<cmsghdr> control;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    GEYSER_TRY(const bool ready, wait_until(socket.get(), POLLIN, deadline, "receive_message"));
    if (!ready) {
      return fail(ErrorCode::Timeout, "receive_message: no message on socket " +
                                          std::to_string(socket.get()) + " within " +
                                          ms_text(timeout));
    }
    // The buffers only once there is something to read: a look with nothing on the socket
    // (every acquire makes one) allocates nothing. One byte more than allowed would also
    // work, but MSG_TRUNC tells us exactly.
    if (control.empty()) {
      received.bytes.resize(std::max<std::size_t>(max_bytes, 1));
      control.resize((control_size + sizeof(cmsghdr) - 1) / sizeof(cmsghdr));
    }
    iovec io{received.bytes.data(), received.bytes.size()};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control_size;
    // MSG_CMSG_CLOEXEC: the fds are close-on-exec from the moment they exist in this process,
    // so a concurrent fork+exec elsewhere in the application cannot inherit them.
    const ssize_t size = ::recvmsg(socket.get(), &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (size < 0) {
      const int err = errno;
      if (err == EINTR || err == EAGAIN) continue;
      return fail(
          errno_error("receive_message: recvmsg(fd " + std::to_string(socket.get()) + ")", err));
    }
    take_fds(message, received.fds);
    if (size == 0) {
      return fail(ErrorCode::Disconnected,
                  "receive_message: the peer closed socket " + std::to_string(socket.get()));
    }
    // Any early return from here on closes every received fd (they are UniqueFd).
    if ((message.msg_flags & MSG_CTRUNC) != 0) {
      return fail(ErrorCode::Protocol,
                  "receive_message: control data truncated (MSG_CTRUNC): the peer attached more "
                  "than the " +
                      std::to_string(max_fds) + " fds allowed; closed the " +
                      std::to_string(received.fds.size()) + " that arrived");
    }
    if ((message.msg_flags & MSG_TRUNC) != 0) {
      return fail(ErrorCode::Protocol, "receive_message: message longer than " +
                                           std::to_string(max_bytes) +
                                           " bytes (MSG_TRUNC); closed its " +
                                           std::to_string(received.fds.size()) + " fds");
    }
    // CMSG_SPACE rounds up, so the buffer may have held more fds than asked for.
    if (received.fds.size() > max_fds) {
      return fail(ErrorCode::Protocol, "receive_message: " + std::to_string(received.fds.size()) +
                                           " fds attached, at most " + std::to_string(max_fds) +
                                           " allowed; closed them");
    }
    received.bytes.resize(static_cast<std::size_t>(size));
    return received;
  }
}

Result<UniqueFd> connect_to(const std::filesystem::path& path, Milliseconds timeout) {
  GEYSER_TRY(const sockaddr_un address, make_address(path, "connect_to"));
  // Non-blocking so that a full backlog gives EAGAIN instead of blocking without a timeout.
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) return fail(errno_error("connect_to: socket(AF_UNIX, SOCK_SEQPACKET)", errno));
  const auto deadline = Clock::now() + timeout;
  const std::string what = "connect_to: connect(\"" + path.native() + "\")";
  for (;;) {
    if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      break;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      // Unix sockets have no EINPROGRESS: a full backlog is EAGAIN and nothing tells us
      // when it drains, so retry in small steps until the deadline.
      const auto remaining = deadline - Clock::now();
      if (remaining <= Clock::duration::zero()) {
        return fail(ErrorCode::Timeout,
                    what + ": the listener's backlog stayed full for " + ms_text(timeout));
      }
      const auto step = std::min<Clock::duration>(remaining, Milliseconds(5));
      ::poll(nullptr, 0, static_cast<int>(std::chrono::ceil<Milliseconds>(step).count()));
      continue;
    }
    if (err == ENOENT) {
      return fail(Error::from_errno(ErrorCode::Disconnected, what + ": nobody listens there", err));
    }
    return fail(errno_error(what, err));
  }
  // Back to blocking, like accepted sockets; our own calls poll and use MSG_DONTWAIT anyway.
  const int flags = ::fcntl(socket.get(), F_GETFL);
  if (flags < 0 || ::fcntl(socket.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return fail(errno_error("connect_to: fcntl(F_SETFL)", errno));
  }
  return socket;
}

Result<Listener> Listener::bind(const std::filesystem::path& path, int backlog) {
  GEYSER_TRY(const sockaddr_un address, make_address(path, "Listener::bind"));
  // Non-blocking: a connection that poll reported may be gone by the time we accept it.
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) return fail(errno_error("Listener::bind: socket(AF_UNIX, SOCK_SEQPACKET)", errno));
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return fail(errno_error("Listener::bind: bind(\"" + path.native() + "\")", errno));
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    const int err = errno;
    (void)::unlink(path.c_str());
    return fail(errno_error("Listener::bind: lstat(\"" + path.native() + "\")", err));
  }
  Listener listener(std::move(socket), path, info.st_dev, info.st_ino);
  if (::listen(listener.socket_.get(), backlog) != 0) {
    return fail(errno_error("Listener::bind: listen(\"" + path.native() + "\")", errno));
  }
  return listener;
}

Result<UniqueFd> Listener::accept(Milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    GEYSER_TRY(const bool ready, wait_until(socket_.get(), POLLIN, deadline, "Listener::accept"));
    if (!ready) {
      return fail(ErrorCode::Timeout, "Listener::accept: no connection on \"" + path_.native() +
                                          "\" within " + ms_text(timeout));
    }
    const int fd = ::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    const int err = errno;
    // ECONNABORTED: the client gave up between poll and accept.
    if (err == EINTR || err == EAGAIN || err == ECONNABORTED) continue;
    return fail(errno_error("Listener::accept: accept4(\"" + path_.native() + "\")", err));
  }
}

Listener::Listener(Listener&& other) noexcept
    : socket_(std::move(other.socket_)),
      path_(std::move(other.path_)),
      dev_(other.dev_),
      ino_(other.ino_) {
  other.path_.clear();
}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    unlink_if_ours();
    socket_ = std::move(other.socket_);
    path_ = std::move(other.path_);
    other.path_.clear();
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

Listener::~Listener() {
  unlink_if_ours();
}

void Listener::unlink_if_ours() noexcept {
  if (!socket_ || path_.empty()) return;
  const int saved_errno = errno;
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_dev == dev_ && info.st_ino == ino_) {
    (void)::unlink(path_.c_str());
  }
  errno = saved_errno;
  socket_.reset();
}

Result<PeerCredentials> peer_credentials(const UniqueFd& socket) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) {
    return fail(errno_error(
        "peer_credentials: getsockopt(fd " + std::to_string(socket.get()) + ", SO_PEERCRED)",
        errno));
  }
  return PeerCredentials{credentials.pid, credentials.uid, credentials.gid};
}

Result<PeerCredentials> check_peer(const UniqueFd& socket, const PeerPolicy& policy) {
  GEYSER_TRY(const PeerCredentials peer, peer_credentials(socket));
  return check_peer(peer, policy);
}

}  // namespace geyser::ipc
