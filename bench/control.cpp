#include "control.hpp"

#include <cstring>
#include <string>

#include "geyser/ipc/socket.hpp"
#include "geyser/ipc/wire.hpp"

namespace geyser::bench {
namespace {

struct Packet {
  std::uint32_t kind;
  std::uint32_t arg;
  std::uint64_t value;
};

}  // namespace

Result<void> send_ctl(const UniqueFd& socket, Ctl kind, std::uint32_t arg, std::uint64_t value,
                      std::span<const int> fds) {
  const Packet packet{static_cast<std::uint32_t>(kind), arg, value};
  std::uint8_t bytes[sizeof(Packet)];
  std::memcpy(bytes, &packet, sizeof packet);
  return ipc::send_message(socket, bytes, fds, std::chrono::seconds(10));
}

Result<CtlMessage> receive_ctl(const UniqueFd& socket, Ctl expected,
                               std::chrono::milliseconds timeout) {
  GEYSER_TRY(ipc::ReceivedMessage message,
             ipc::receive_message(socket, sizeof(Packet), 4, timeout));
  if (message.bytes.size() != sizeof(Packet)) {
    return fail(ErrorCode::Protocol,
                "bench control: a message of " + std::to_string(message.bytes.size()) + " bytes");
  }
  Packet packet{};
  std::memcpy(&packet, message.bytes.data(), sizeof packet);
  if (packet.kind != static_cast<std::uint32_t>(expected)) {
    return fail(ErrorCode::Protocol, "bench control: expected message " +
                                         std::to_string(static_cast<std::uint32_t>(expected)) +
                                         ", got " + std::to_string(packet.kind));
  }
  return CtlMessage{static_cast<Ctl>(packet.kind), packet.arg, packet.value,
                    std::move(message.fds)};
}

std::size_t frame_message_size() {
  return 56;  // a 16-byte header and a 40-byte body, as version 1's FramePresented
}

}  // namespace geyser::bench
