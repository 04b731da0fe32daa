// A peer process of the cross-process tests (geyser_test_peer, geyser_sync_peer): spawned
// with one end of a socketpair on its fd kPeerSocketFd, killed and reaped on destruction if
// still running. What goes over the socket is each protocol's business.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::test {

/// "exit 0", "signal 9".
[[nodiscard]] std::string describe_wait_status(int status);

class PeerProcess {
 public:
  /// Spawns the executable `path` (no arguments, our environment) with one end of a
  /// socketpair on its fd kPeerSocketFd; we keep the other.
  [[nodiscard]] static Result<PeerProcess> spawn(const std::string& path);

  PeerProcess(PeerProcess&& other) noexcept;
  PeerProcess& operator=(PeerProcess&&) = delete;
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess();

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Our end of the socket; empty after close_socket().
  [[nodiscard]] const UniqueFd& socket() const { return socket_; }
  /// Closes our end: the peer sees EOF.
  void close_socket() { socket_.reset(); }

  /// Reaps the peer; after `timeout` it is killed. Returns the wait status, or Timeout.
  [[nodiscard]] Result<int> wait_for_exit(std::chrono::seconds timeout);

 private:
  PeerProcess(pid_t pid, UniqueFd socket, std::string name)
      : pid_(pid), socket_(std::move(socket)), name_(std::move(name)) {}

  pid_t pid_;
  UniqueFd socket_;
  std::string name_;  ///< the executable's file name, for messages
};

}  // namespace geyser::test
