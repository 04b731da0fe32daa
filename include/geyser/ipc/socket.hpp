// The IPC transport on Linux: Unix domain sockets of type SOCK_SEQPACKET carrying one wire
// message per packet, with file descriptors attached as SCM_RIGHTS.
//
// Why SOCK_SEQPACKET: it is connection-oriented like SOCK_STREAM (EOF when the peer dies, a
// listener, SO_PEERCRED) but keeps message boundaries like SOCK_DGRAM, and delivers a
// message and its SCM_RIGHTS together and atomically. With SOCK_STREAM we would need our own
// framing, and the fds of one message could arrive with a partial read of another
// (SCM_RIGHTS attaches to a byte, not to a message), which makes "the fds of this message"
// ambiguous. With SOCK_DGRAM there is no connection, no EOF and no peer to check.
//
// Every descriptor made here is close-on-exec (SOCK_CLOEXEC, MSG_CMSG_CLOEXEC), every send
// uses MSG_NOSIGNAL (a dead peer is Disconnected, never SIGPIPE), and every blocking step
// waits in poll() with a timeout (ErrorCode::Timeout). Functions are thread-safe in the sense
// of the underlying syscalls: concurrent sends on one socket are atomic per message, but
// receiving on one socket from two threads gives each an unpredictable subset.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::ipc {

/// Timeouts of the transport. A zero timeout polls once and never blocks.
using Milliseconds = std::chrono::milliseconds;

/// A message as it came off the socket: its bytes and the descriptors attached to it. The
/// fds are owned (and close-on-exec) from the moment they arrive.
struct ReceivedMessage {
  std::vector<std::uint8_t> bytes;
  std::vector<UniqueFd> fds;
};

/// A connected pair of SOCK_SEQPACKET sockets (socketpair), both close-on-exec. Used in
/// process, for a child process, and by the tests. The caller owns both.
[[nodiscard]] Result<std::pair<UniqueFd, UniqueFd>> socket_pair();

/// Sends one message: `bytes` (at least one byte) with `fds` attached (SCM_RIGHTS). Does not
/// consume the fds: the kernel duplicates them into the message, the caller still owns its
/// copies. Waits at most `timeout` for room in the socket buffer. Fails with Disconnected when
/// the peer has closed (EPIPE, ECONNRESET), Timeout, Validation for empty bytes, a negative
/// fd or a message too large for the socket (EMSGSIZE), Internal otherwise.
[[nodiscard]] Result<void> send_message(const UniqueFd& socket, std::span<const std::uint8_t> bytes,
                                        std::span<const int> fds, Milliseconds timeout);

/// Receives one message of at most `max_bytes` bytes and `max_fds` descriptors, waiting at
/// most `timeout` for it. Received fds go straight into UniqueFd (close-on-exec). Fails with
/// Disconnected on EOF (the peer closed; Geyser never sends empty messages, so a zero-length
/// read is EOF), Timeout, and Protocol when the message was longer than `max_bytes`
/// (MSG_TRUNC), carried more than `max_fds` descriptors or had its control data cut
/// (MSG_CTRUNC): every descriptor that did arrive is closed before returning.
[[nodiscard]] Result<ReceivedMessage> receive_message(const UniqueFd& socket, std::size_t max_bytes,
                                                      std::size_t max_fds, Milliseconds timeout);

/// Connects to the listening socket at `path` (close-on-exec). Waits at most `timeout` when
/// the listener's backlog is full. Fails with Disconnected when nobody listens there
/// (ECONNREFUSED, ENOENT), PermissionDenied (EACCES), Validation when the path does not fit
/// sockaddr_un, Timeout.
[[nodiscard]] Result<UniqueFd> connect_to(const std::filesystem::path& path, Milliseconds timeout);

/// A listening SOCK_SEQPACKET socket bound to a path. Move-only. Destroying it closes the
/// socket and unlinks the path, but only if the path still names the socket this Listener
/// created (same device and inode), so a successor's socket is never removed. accept() may
/// be called from one thread at a time.
class Listener {
 public:
  /// Binds and listens at `path`. Fails with Validation when the path does not fit
  /// sockaddr_un, and with the errno of bind (EADDRINUSE: the path exists; see
  /// publish_channel for stale-socket handling) as Validation/PermissionDenied/Internal.
  [[nodiscard]] static Result<Listener> bind(const std::filesystem::path& path, int backlog = 16);

  /// Accepts one connection (close-on-exec), waiting at most `timeout`. Timeout when none came.
  [[nodiscard]] Result<UniqueFd> accept(Milliseconds timeout) const;

  [[nodiscard]] const UniqueFd& fd() const noexcept { return socket_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

 private:
  Listener(UniqueFd socket, std::filesystem::path path, dev_t dev, ino_t ino) noexcept
      : socket_(std::move(socket)), path_(std::move(path)), dev_(dev), ino_(ino) {}
  void unlink_if_ours() noexcept;

  UniqueFd socket_;
  std::filesystem::path path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

/// The peer's credentials (getsockopt SO_PEERCRED). Internal when the call fails.
[[nodiscard]] Result<PeerCredentials> peer_credentials(const UniqueFd& socket);

/// Checks the peer's uid against `policy`. Returns its credentials, or PermissionDenied
/// naming the peer's pid and uid and the uid expected.
[[nodiscard]] Result<PeerCredentials> check_peer(const UniqueFd& socket,
                                                 const PeerPolicy& policy = {});

}  // namespace geyser::ipc
