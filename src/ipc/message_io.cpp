#include "geyser/ipc/message_io.hpp"

namespace geyser::ipc {

Result<void> send(Connection& connection, const Message& message, Milliseconds timeout) {
  GEYSER_TRY(const EncodedMessage encoded, encode(message));
  return connection.send(encoded.bytes, encoded.handles, timeout);
}

Result<Message> receive(Connection& connection, Milliseconds timeout) {
  GEYSER_TRY(Packet received, connection.receive(kMaxMessageSize, kMaxHandlesPerMessage, timeout));
  return decode(received.bytes, std::move(received.handles));
}

}  // namespace geyser::ipc
