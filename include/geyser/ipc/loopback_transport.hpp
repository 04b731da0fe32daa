// An in-process Transport for tests of the channel core: no sockets, no other processes, no
// GPU. It mirrors the Unix transport's semantics (unix_transport.hpp, socket.hpp): whole
// messages, handles duplicated into the peer like SCM_RIGHTS, an eventfd (on Windows a
// manual-reset event) per connection end and per listener as the pollable native handle,
// Disconnected once the peer end is gone.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/transport.hpp"

namespace geyser::ipc {

namespace loopback_detail {
struct Registry;
}  // namespace loopback_detail

/// Channels published inside this process. Thread-safe: hand a shared_ptr of one instance to
/// the senders and receivers of a test. Listeners and connections it makes keep what they
/// need alive, so they may outlive it. Every descriptor it makes is close-on-exec (on
/// Windows, no handle it makes is inheritable).
class LoopbackTransport final : public Transport {
 public:
  /// Connections waiting to be accepted per listener; connect waits for room beyond it.
  static constexpr std::size_t kBacklog = 16;
  /// Messages queued per direction of a connection; send waits for room beyond it.
  static constexpr std::size_t kQueueDepth = 256;
  /// Most handles one message may carry (the kernel's SCM_MAX_FD, as on Unix sockets).
  static constexpr std::size_t kMaxHandles = 253;

  LoopbackTransport();
  ~LoopbackTransport() override;
  LoopbackTransport(const LoopbackTransport&) = delete;
  LoopbackTransport& operator=(const LoopbackTransport&) = delete;

  /// Publishes `name` until the returned listener is destroyed, which also closes the
  /// connections still in its backlog. Validation for a bad name or "channel NAME is already
  /// published" while another listener holds it; Internal when no eventfd can be made.
  [[nodiscard]] Result<std::unique_ptr<TransportListener>> listen(std::string_view name) override;
  /// listen, the clients' ends reporting `owner` as their peer instead of this process
  /// (tests pose as a sender of another uid or pid with it, as connect_as poses as a client).
  [[nodiscard]] Result<std::unique_ptr<TransportListener>> listen_as(std::string_view name,
                                                                     const PeerCredentials& owner);
  /// connect_as with this process's credentials (getpid, geteuid, getegid; on Windows the
  /// pid and the user SID).
  [[nodiscard]] Result<std::unique_ptr<Connection>> connect(std::string_view name,
                                                            Milliseconds timeout) override;
  /// Connects to `name`, the listener's end reporting `client` as its peer (tests pose as
  /// another uid or pid with it); the caller's end reports the listener's process. Waits at
  /// most `timeout` for room in the backlog: Timeout. Disconnected when nobody publishes
  /// `name` or its listener goes away meanwhile, Validation for a bad name.
  [[nodiscard]] Result<std::unique_ptr<Connection>> connect_as(std::string_view name,
                                                               const PeerCredentials& client,
                                                               Milliseconds timeout);
  /// The names published now, sorted. Never fails.
  [[nodiscard]] Result<std::vector<std::string>> list() override;
  /// "loopback".
  [[nodiscard]] std::string describe() const override { return "loopback"; }

 private:
  std::shared_ptr<loopback_detail::Registry> registry_;
};

}  // namespace geyser::ipc
