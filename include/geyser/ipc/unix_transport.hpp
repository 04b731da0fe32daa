// The transport on Linux: Unix SOCK_SEQPACKET sockets with SCM_RIGHTS (socket.hpp) in a
// private runtime directory (runtime_dir.hpp), one socket per channel.
#pragma once

#include <filesystem>
#include <memory>

#include "geyser/ipc/transport.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::ipc {

/// A Connection over a connected SOCK_SEQPACKET socket. Owns the socket.
class UnixConnection final : public Connection {
 public:
  /// Takes `socket` and reads its peer's credentials (SO_PEERCRED); Internal if that fails
  /// (the socket is closed).
  [[nodiscard]] static Result<std::unique_ptr<UnixConnection>> adopt(UniqueFd socket);

  [[nodiscard]] Result<void> send(std::span<const std::uint8_t> bytes,
                                  std::span<const NativeHandle> handles,
                                  Milliseconds timeout) override;
  [[nodiscard]] Result<Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                                       Milliseconds timeout) override;
  [[nodiscard]] const PeerCredentials& peer() const noexcept override { return peer_; }
  [[nodiscard]] NativeHandle native_handle() const noexcept override { return socket_.get(); }
  [[nodiscard]] const UniqueFd& socket() const noexcept { return socket_; }

 private:
  UnixConnection(UniqueFd socket, PeerCredentials peer) noexcept
      : socket_(std::move(socket)), peer_(peer) {}
  UniqueFd socket_;
  PeerCredentials peer_;
};

/// Channels as sockets "<dir>/<name>.sock" (publish_channel, connect_channel,
/// list_channels). Thread-safe: it holds only the directory.
class UnixTransport final : public Transport {
 public:
  /// Over `dir`, which must already be private (ensure_private_dir).
  explicit UnixTransport(std::filesystem::path dir) : dir_(std::move(dir)) {}

  [[nodiscard]] Result<std::unique_ptr<TransportListener>> listen(std::string_view name) override;
  [[nodiscard]] Result<std::unique_ptr<Connection>> connect(std::string_view name,
                                                            Milliseconds timeout) override;
  [[nodiscard]] Result<std::vector<std::string>> list() override;
  [[nodiscard]] std::string describe() const override { return "unix:" + dir_.string(); }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace geyser::ipc
