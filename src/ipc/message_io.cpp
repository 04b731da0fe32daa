#include "geyser/ipc/message_io.hpp"

namespace geyser::ipc {

Result<void> send(const UniqueFd& socket, const Message& message, Milliseconds timeout) {
  GEYSER_TRY(const EncodedMessage encoded, encode(message));
  return send_message(socket, encoded.bytes, encoded.fds, timeout);
}

Result<Message> receive(const UniqueFd& socket, Milliseconds timeout) {
  GEYSER_TRY(ReceivedMessage received,
             receive_message(socket, kMaxMessageSize, kMaxFdsPerMessage, timeout));
  return decode(received.bytes, std::move(received.fds));
}

}  // namespace geyser::ipc
