// Wire messages straight over a Unix socket (POSIX only).
#include "geyser/ipc/message_io.hpp"

namespace geyser::ipc {

Result<void> send(const UniqueFd& socket, const Message& message, Milliseconds timeout) {
  GEYSER_TRY(const EncodedMessage encoded, encode(message));
  return send_message(socket, encoded.bytes, encoded.handles, timeout);
}

Result<Message> receive(const UniqueFd& socket, Milliseconds timeout) {
  GEYSER_TRY(ReceivedMessage received,
             receive_message(socket, kMaxMessageSize, kMaxHandlesPerMessage, timeout));
  return decode(received.bytes, std::move(received.fds));
}

}  // namespace geyser::ipc
