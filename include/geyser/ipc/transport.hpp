// The transport interface: how a sender and its receivers reach each other. A transport
// publishes channel names, connects to them and lists them; a connection carries one whole
// message at a time with OS handles attached. The channel core speaks only to this
// interface. Implementations: Unix SOCK_SEQPACKET sockets with SCM_RIGHTS in a private
// runtime directory (unix_transport.hpp), an in-process loopback for tests
// (loopback_transport.hpp), and named pipes on Windows (named_pipe_transport.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc {

/// Timeouts of the transport. A zero timeout polls once and never blocks.
using Milliseconds = std::chrono::milliseconds;

/// One message as it arrived: its bytes and the handles attached to it, owned from the
/// moment they arrive.
struct Packet {
  std::vector<std::uint8_t> bytes;
  std::vector<UniqueHandle> handles;
};

/// A connected, reliable, ordered, message-oriented connection. Thread-safety: one thread
/// may send while another receives; two threads must not receive at once.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Sends one message of at least one byte with `handles` attached. Does not consume the
  /// handles: the peer receives its own duplicates. Waits at most `timeout` for room.
  /// Disconnected when the peer has closed, Timeout, Validation for an empty or oversized
  /// message.
  [[nodiscard]] virtual Result<void> send(std::span<const std::uint8_t> bytes,
                                          std::span<const NativeHandle> handles,
                                          Milliseconds timeout) = 0;
  /// Receives one message of at most `max_bytes` bytes and `max_handles` handles, waiting
  /// at most `timeout`. Disconnected when the peer has closed, Timeout, Protocol for a
  /// message over either bound (every handle that came with it is closed).
  [[nodiscard]] virtual Result<Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                                               Milliseconds timeout) = 0;
  /// Who is on the other end, as the OS recorded it when the connection was made.
  [[nodiscard]] virtual const PeerCredentials& peer() const noexcept = 0;
  /// A handle that is readable (poll, epoll) while a message or the peer's close is waiting.
  /// Owned by the connection; valid while it lives.
  [[nodiscard]] virtual NativeHandle native_handle() const noexcept = 0;

 protected:
  Connection() = default;
};

/// A published channel name that accepts connections. Destroying it unpublishes the name.
/// Not thread-safe.
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  /// Accepts one connection, waiting at most `timeout`. Timeout when none came.
  [[nodiscard]] virtual Result<std::unique_ptr<Connection>> accept(Milliseconds timeout) = 0;
  /// Readable while a connection waits to be accepted. Owned by the listener.
  [[nodiscard]] virtual NativeHandle native_handle() const noexcept = 0;

 protected:
  TransportListener() = default;
};

/// Where channels live. Thread-safe: one transport may serve several senders and
/// receivers on several threads.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Publishes channel `name` (validate_channel_name). Validation when a live sender holds it.
  [[nodiscard]] virtual Result<std::unique_ptr<TransportListener>> listen(
      std::string_view name) = 0;
  /// Connects to channel `name`, waiting at most `timeout` for room in its backlog.
  /// Disconnected when nobody publishes it.
  [[nodiscard]] virtual Result<std::unique_ptr<Connection>> connect(std::string_view name,
                                                                    Milliseconds timeout) = 0;
  /// The names published (or left stale by a dead sender), sorted.
  [[nodiscard]] virtual Result<std::vector<std::string>> list() = 0;
  /// "unix:/run/user/1000/geyser", "loopback": for messages.
  [[nodiscard]] virtual std::string describe() const = 0;

 protected:
  Transport() = default;
};

/// The platform's transport over `runtime_dir` (empty: runtime_dir(), which is created
/// private). On Linux a UnixTransport; on Windows a NamedPipeTransport whose channel markers
/// live there (empty: runtime_dir_win32()).
[[nodiscard]] Result<std::shared_ptr<Transport>> default_transport(
    const std::filesystem::path& runtime_dir = {});

}  // namespace geyser::ipc
