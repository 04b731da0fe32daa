// What the test-only peer protocols (vulkan/peer_protocol.hpp, sync/sync_protocol.hpp) have
// in common: one fixed-layout, trivially copyable message per SOCK_SEQPACKET packet, with fds
// attached as SCM_RIGHTS, over the geyser::ipc transport. Both ends are the same build on the
// same machine, so the layout is the host's. Each protocol keeps its own message layout; the
// helpers here only need these members of it: magic and version (whose defaults are the
// expected values), text (a NUL-terminated char array) and, for the texture handle helpers,
// the handle's plain fields under the names below. No gtest here: the peers use it too.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::test {

/// The descriptor number a spawned peer finds its socket on.
inline constexpr int kPeerSocketFd = 3;
/// How long a send may wait for room in the socket buffer (messages are small: never, in
/// practice; a peer that stopped reading must still not hang the other side).
inline constexpr std::chrono::milliseconds kPeerSendTimeout{60'000};

/// The status of a reply, the same in every peer protocol.
enum class PeerStatus : std::uint32_t {
  Ok = 0,
  Failed = 1,  ///< a check failed; text says which
  Error = 2,   ///< a Geyser call failed; error_code and text say which
};

/// Copies `text` into message.text, truncated to fit.
template <typename Message>
void set_text(Message& message, std::string_view text) {
  const std::size_t n = std::min(text.size(), sizeof(message.text) - 1);
  std::memcpy(message.text, text.data(), n);
  message.text[n] = '\0';
}

template <typename Message>
[[nodiscard]] std::string text_of(const Message& message) {
  return std::string(message.text, strnlen(message.text, sizeof(message.text)));
}

/// Sets the descriptor fields of `message` from `desc`.
template <typename Message>
void put_descriptor(Message& message, const TextureDescriptor& desc) {
  message.width = desc.width;
  message.height = desc.height;
  message.format = static_cast<std::uint32_t>(desc.format);
  message.usage = static_cast<std::uint32_t>(desc.usage);
  message.mip_levels = desc.mip_levels;
  message.array_layers = desc.array_layers;
}

template <typename Message>
[[nodiscard]] TextureDescriptor take_descriptor(const Message& message) {
  TextureDescriptor desc;
  desc.width = message.width;
  desc.height = message.height;
  desc.format = static_cast<TextureFormat>(message.format);
  desc.usage = static_cast<TextureUsage>(message.usage);
  desc.mip_levels = message.mip_levels;
  desc.array_layers = message.array_layers;
  return desc;
}

/// Sets every plain field of `handle` (not its fd) in `message`.
template <typename Message>
void put_handle_fields(Message& message, const TextureShareHandle& handle) {
  std::memcpy(message.driver_uuid, handle.identity.driver_uuid.data(), 16);
  std::memcpy(message.device_uuid, handle.identity.device_uuid.data(), 16);
  put_descriptor(message, handle.descriptor);
  message.handle_type = static_cast<std::uint32_t>(handle.handle_type);
  message.vk_format = handle.image.vk_format;
  message.tiling = handle.image.tiling;
  message.vk_usage = handle.image.usage;
  message.create_flags = handle.image.create_flags;
  message.memory_type_index = handle.image.memory_type_index;
  message.allocation_size = handle.image.allocation_size;
  message.dedicated = handle.image.dedicated ? 1 : 0;
}

/// Builds a handle from the message's plain fields and `fd`, which it takes.
template <typename Message>
[[nodiscard]] TextureShareHandle take_handle_fields(const Message& message, UniqueFd fd) {
  TextureShareHandle handle;
  handle.os_handle = std::move(fd);
  handle.handle_type = static_cast<MemoryHandleType>(message.handle_type);
  std::memcpy(handle.identity.driver_uuid.data(), message.driver_uuid, 16);
  std::memcpy(handle.identity.device_uuid.data(), message.device_uuid, 16);
  handle.descriptor = take_descriptor(message);
  handle.image.vk_format = message.vk_format;
  handle.image.tiling = message.tiling;
  handle.image.usage = message.vk_usage;
  handle.image.create_flags = message.create_flags;
  handle.image.memory_type_index = message.memory_type_index;
  handle.image.allocation_size = message.allocation_size;
  handle.image.dedicated = message.dedicated != 0;
  return handle;
}

/// Sends `message` as one packet with `fds` attached (the caller keeps its fds).
/// Disconnected when the other end is gone.
template <typename Message>
[[nodiscard]] Result<void> send_fixed_message(const UniqueFd& socket, const Message& message,
                                              std::span<const int> fds) {
  static_assert(std::is_trivially_copyable_v<Message>);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(&message),
                                            sizeof(Message));
  return ipc::send_message(socket, bytes, fds, kPeerSendTimeout);
}

template <typename Message>
struct ReceivedFixedMessage {
  Message message;
  std::vector<UniqueFd> fds;
};

/// Waits up to `timeout` for one message with at most `max_fds` fds. Timeout; Disconnected
/// at EOF; Protocol for a packet of another size, too many fds, or a bad magic or version
/// (`who` names the protocol in the message). The fds are the caller's to check.
template <typename Message>
[[nodiscard]] Result<ReceivedFixedMessage<Message>> receive_fixed_message(
    const UniqueFd& socket, std::size_t max_fds, std::chrono::milliseconds timeout,
    const std::string& who) {
  static_assert(std::is_trivially_copyable_v<Message>);
  GEYSER_TRY(ipc::ReceivedMessage raw,
             ipc::receive_message(socket, sizeof(Message), max_fds, timeout));
  if (raw.bytes.size() != sizeof(Message)) {
    return fail(ErrorCode::Protocol, who + ": " + std::to_string(raw.bytes.size()) +
                                         " bytes, expected " + std::to_string(sizeof(Message)));
  }
  ReceivedFixedMessage<Message> received;
  std::memcpy(&received.message, raw.bytes.data(), sizeof(Message));
  received.fds = std::move(raw.fds);
  const Message expected{};
  if (received.message.magic != expected.magic || received.message.version != expected.version) {
    return fail(ErrorCode::Protocol, who + ": bad magic or version");
  }
  received.message.text[sizeof(received.message.text) - 1] = '\0';
  return received;
}

}  // namespace geyser::test
