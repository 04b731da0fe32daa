#include "vulkan/peer_protocol.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace geyser::test {

PeerMessage make_message(PeerCommand command) {
  PeerMessage message;
  message.command = static_cast<std::uint16_t>(command);
  return message;
}

void put_handle(PeerMessage& message, const TextureShareHandle& handle) {
  message.has_handle = 1;
  put_handle_fields(message, handle);
}

TextureShareHandle take_handle(const PeerMessage& message, UniqueFd fd) {
  return take_handle_fields(message, std::move(fd));
}

Result<void> send_message(const UniqueFd& socket, const PeerMessage& message, int fd) {
  if (fd < 0) return send_fixed_message(socket, message, {});
  return send_fixed_message(socket, message, std::span<const int>(&fd, 1));
}

Result<ReceivedMessage> receive_message(const UniqueFd& socket, int timeout_ms) {
  GEYSER_TRY(auto raw, receive_fixed_message<PeerMessage>(
                           socket, 1, std::chrono::milliseconds(timeout_ms), "peer"));
  const std::size_t expected_fds = raw.message.has_handle != 0 ? 1 : 0;
  if (raw.fds.size() != expected_fds) {
    return fail(ErrorCode::Protocol, "peer: " + std::to_string(raw.fds.size()) + " fds attached, " +
                                         std::to_string(expected_fds) + " expected");
  }
  ReceivedMessage received;
  received.message = raw.message;
  if (!raw.fds.empty()) received.fd = std::move(raw.fds.front());
  return received;
}

}  // namespace geyser::test
