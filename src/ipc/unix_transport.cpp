// The Transport interface over Unix seqpacket sockets in the runtime directory.
#include "geyser/ipc/unix_transport.hpp"

#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/ipc/socket.hpp"

namespace geyser::ipc {
namespace {

class UnixListener final : public TransportListener {
 public:
  explicit UnixListener(ChannelListener listener) : listener_(std::move(listener)) {}

  Result<std::unique_ptr<Connection>> accept(Milliseconds timeout) override {
    GEYSER_TRY(UniqueFd socket, listener_.accept(timeout));
    GEYSER_TRY(auto connection, UnixConnection::adopt(std::move(socket)));
    return std::unique_ptr<Connection>(std::move(connection));
  }
  NativeHandle native_handle() const noexcept override { return listener_.listener().fd().get(); }

 private:
  ChannelListener listener_;
};

}  // namespace

Result<std::unique_ptr<UnixConnection>> UnixConnection::adopt(UniqueFd socket) {
  GEYSER_TRY(const PeerCredentials peer, peer_credentials(socket));
  return std::unique_ptr<UnixConnection>(new UnixConnection(std::move(socket), peer));
}

Result<void> UnixConnection::send(std::span<const std::uint8_t> bytes,
                                  std::span<const NativeHandle> handles, Milliseconds timeout) {
  return send_message(socket_, bytes, handles, timeout);
}

Result<Packet> UnixConnection::receive(std::size_t max_bytes, std::size_t max_handles,
                                       Milliseconds timeout) {
  GEYSER_TRY(ReceivedMessage received, receive_message(socket_, max_bytes, max_handles, timeout));
  return Packet{std::move(received.bytes), std::move(received.fds)};
}

Result<std::unique_ptr<TransportListener>> UnixTransport::listen(std::string_view name) {
  GEYSER_TRY(ChannelListener listener, publish_channel(dir_, name));
  return std::unique_ptr<TransportListener>(new UnixListener(std::move(listener)));
}

Result<std::unique_ptr<Connection>> UnixTransport::connect(std::string_view name,
                                                           Milliseconds timeout) {
  GEYSER_TRY(UniqueFd socket, connect_channel(dir_, name, timeout));
  GEYSER_TRY(auto connection, UnixConnection::adopt(std::move(socket)));
  return std::unique_ptr<Connection>(std::move(connection));
}

Result<std::vector<std::string>> UnixTransport::list() {
  return list_channels(dir_);
}

Result<std::shared_ptr<Transport>> default_transport(const std::filesystem::path& runtime_dir) {
  std::filesystem::path dir = runtime_dir;
  if (dir.empty()) {
    GEYSER_TRY(dir, ipc::runtime_dir());
  } else {
    GEYSER_TRY_VOID(ensure_private_dir(dir));
  }
  return std::shared_ptr<Transport>(std::make_shared<UnixTransport>(std::move(dir)));
}

}  // namespace geyser::ipc
