#include "sync/sync_protocol.hpp"

#include <chrono>
#include <cstring>
#include <string>

namespace geyser::test {

SyncPeerMessage make_sync_message(SyncPeerCommand command) {
  SyncPeerMessage message;
  message.command = static_cast<std::uint16_t>(command);
  return message;
}

std::pair<SyncPeerMessage, std::vector<int>> make_slot_message(
    std::uint32_t slot, const TextureShareHandle& texture, const vulkan::SyncShareHandles& sync) {
  SyncPeerMessage message = make_sync_message(SyncPeerCommand::Slot);
  message.slot = slot;
  message.sync_mode = static_cast<std::uint32_t>(sync.mode);
  put_handle_fields(message, texture);
  std::memcpy(message.sync_driver_uuid, sync.identity.driver_uuid.data(), 16);
  std::memcpy(message.sync_device_uuid, sync.identity.device_uuid.data(), 16);
  return {message, {texture.os_handle.get(), sync.ready.get(), sync.released.get()}};
}

Result<std::pair<TextureShareHandle, vulkan::SyncShareHandles>> take_slot(
    const SyncPeerMessage& message, std::vector<UniqueFd> fds) {
  if (fds.size() != 3) {
    return fail(ErrorCode::Protocol,
                "Slot message with " + std::to_string(fds.size()) + " fds, expected 3");
  }
  if (message.sync_mode > static_cast<std::uint32_t>(SyncMode::Cpu)) {
    return fail(ErrorCode::Protocol,
                "Slot message with sync mode " + std::to_string(message.sync_mode));
  }
  TextureShareHandle texture = take_handle_fields(message, std::move(fds[0]));

  vulkan::SyncShareHandles sync;
  sync.mode = static_cast<SyncMode>(message.sync_mode);
  sync.ready = std::move(fds[1]);
  sync.released = std::move(fds[2]);
  std::memcpy(sync.identity.driver_uuid.data(), message.sync_driver_uuid, 16);
  std::memcpy(sync.identity.device_uuid.data(), message.sync_device_uuid, 16);
  return std::make_pair(std::move(texture), std::move(sync));
}

Result<void> send_sync_message(const UniqueFd& socket, SyncPeerMessage message,
                               std::span<const int> fds) {
  if (fds.size() > kMaxSyncPeerFds) {
    return fail(ErrorCode::Validation, "send_sync_message: " + std::to_string(fds.size()) +
                                           " fds, at most " + std::to_string(kMaxSyncPeerFds));
  }
  message.fd_count = static_cast<std::uint32_t>(fds.size());
  return send_fixed_message(socket, message, fds);
}

Result<ReceivedSyncMessage> receive_sync_message(const UniqueFd& socket, int timeout_ms) {
  GEYSER_TRY(auto raw,
             receive_fixed_message<SyncPeerMessage>(
                 socket, kMaxSyncPeerFds, std::chrono::milliseconds(timeout_ms), "sync peer"));
  if (raw.fds.size() != raw.message.fd_count) {
    return fail(ErrorCode::Protocol, "sync peer: " + std::to_string(raw.fds.size()) +
                                         " fds attached, " + std::to_string(raw.message.fd_count) +
                                         " declared");
  }
  ReceivedSyncMessage received;
  received.message = raw.message;
  received.fds = std::move(raw.fds);
  return received;
}

}  // namespace geyser::test
