#include "sync/sync_protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace geyser::test {

SyncPeerMessage make_sync_message(SyncPeerCommand command) {
  SyncPeerMessage message;
  message.command = static_cast<std::uint16_t>(command);
  return message;
}

void set_text(SyncPeerMessage& message, std::string_view text) {
  const std::size_t n = std::min(text.size(), sizeof(message.text) - 1);
  std::memcpy(message.text, text.data(), n);
  message.text[n] = '\0';
}

std::string text_of(const SyncPeerMessage& message) {
  return std::string(message.text, strnlen(message.text, sizeof(message.text)));
}

std::pair<SyncPeerMessage, std::vector<int>> make_slot_message(
    std::uint32_t slot, const TextureShareHandle& texture, const vulkan::SyncShareHandles& sync) {
  SyncPeerMessage message = make_sync_message(SyncPeerCommand::Slot);
  message.slot = slot;
  message.sync_mode = static_cast<std::uint32_t>(sync.mode);
  std::memcpy(message.driver_uuid, texture.identity.driver_uuid.data(), 16);
  std::memcpy(message.device_uuid, texture.identity.device_uuid.data(), 16);
  std::memcpy(message.sync_driver_uuid, sync.identity.driver_uuid.data(), 16);
  std::memcpy(message.sync_device_uuid, sync.identity.device_uuid.data(), 16);
  const TextureDescriptor& desc = texture.descriptor;
  message.width = desc.width;
  message.height = desc.height;
  message.format = static_cast<std::uint32_t>(desc.format);
  message.usage = static_cast<std::uint32_t>(desc.usage);
  message.mip_levels = desc.mip_levels;
  message.array_layers = desc.array_layers;
  message.handle_type = static_cast<std::uint32_t>(texture.handle_type);
  message.vk_format = texture.image.vk_format;
  message.tiling = texture.image.tiling;
  message.vk_usage = texture.image.usage;
  message.create_flags = texture.image.create_flags;
  message.memory_type_index = texture.image.memory_type_index;
  message.allocation_size = texture.image.allocation_size;
  message.dedicated = texture.image.dedicated ? 1 : 0;
  return {message, {texture.fd.get(), sync.ready.get(), sync.released.get()}};
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
  TextureShareHandle texture;
  texture.fd = std::move(fds[0]);
  texture.handle_type = static_cast<MemoryHandleType>(message.handle_type);
  std::memcpy(texture.identity.driver_uuid.data(), message.driver_uuid, 16);
  std::memcpy(texture.identity.device_uuid.data(), message.device_uuid, 16);
  texture.descriptor.width = message.width;
  texture.descriptor.height = message.height;
  texture.descriptor.format = static_cast<TextureFormat>(message.format);
  texture.descriptor.usage = static_cast<TextureUsage>(message.usage);
  texture.descriptor.mip_levels = message.mip_levels;
  texture.descriptor.array_layers = message.array_layers;
  texture.image.vk_format = message.vk_format;
  texture.image.tiling = message.tiling;
  texture.image.usage = message.vk_usage;
  texture.image.create_flags = message.create_flags;
  texture.image.memory_type_index = message.memory_type_index;
  texture.image.allocation_size = message.allocation_size;
  texture.image.dedicated = message.dedicated != 0;

  vulkan::SyncShareHandles sync;
  sync.mode = static_cast<SyncMode>(message.sync_mode);
  sync.ready = std::move(fds[1]);
  sync.released = std::move(fds[2]);
  std::memcpy(sync.identity.driver_uuid.data(), message.sync_driver_uuid, 16);
  std::memcpy(sync.identity.device_uuid.data(), message.sync_device_uuid, 16);
  return std::make_pair(std::move(texture), std::move(sync));
}

Result<void> send_sync_message(int socket, SyncPeerMessage message, std::span<const int> fds) {
  if (fds.size() > kMaxSyncPeerFds) {
    return fail(ErrorCode::Validation, "send_sync_message: " + std::to_string(fds.size()) +
                                           " fds, at most " + std::to_string(kMaxSyncPeerFds));
  }
  message.fd_count = static_cast<std::uint32_t>(fds.size());
  iovec iov{};
  iov.iov_base = &message;
  iov.iov_len = sizeof(message);
  msghdr header{};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxSyncPeerFds * sizeof(int))] = {};
  if (!fds.empty()) {
    header.msg_control = control;
    header.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size() * sizeof(int));
  }
  ssize_t sent = 0;
  do {
    // MSG_NOSIGNAL: a dead peer must give EPIPE, not kill the sender with SIGPIPE.
    sent = sendmsg(socket, &header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    const int err = errno;
    return fail(Error::from_errno(
        err == EPIPE || err == ECONNRESET ? ErrorCode::Disconnected : ErrorCode::Internal,
        "sync peer sendmsg", err));
  }
  if (static_cast<std::size_t>(sent) != sizeof(message)) {
    return fail(ErrorCode::Protocol, "sync peer sendmsg: sent " + std::to_string(sent) + " of " +
                                         std::to_string(sizeof(message)) + " bytes");
  }
  return {};
}

Result<ReceivedSyncMessage> receive_sync_message(int socket, int timeout_ms) {
  pollfd pfd{};
  pfd.fd = socket;
  pfd.events = POLLIN;
  int ready = 0;
  do {
    ready = poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return fail(Error::from_errno(ErrorCode::Internal, "sync peer poll", errno));
  if (ready == 0) {
    return fail(ErrorCode::Timeout,
                "sync peer: no message within " + std::to_string(timeout_ms) + " ms");
  }

  ReceivedSyncMessage received;
  // One byte more than a message, to see an oversized packet as MSG_TRUNC.
  std::vector<char> buffer(sizeof(SyncPeerMessage) + 1);
  iovec iov{};
  iov.iov_base = buffer.data();
  iov.iov_len = buffer.size();
  alignas(cmsghdr) char control[CMSG_SPACE((kMaxSyncPeerFds + 1) * sizeof(int))] = {};
  msghdr header{};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  ssize_t n = 0;
  do {
    n = recvmsg(socket, &header, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    return fail(Error::from_errno(err == ECONNRESET ? ErrorCode::Disconnected : ErrorCode::Internal,
                                  "sync peer recvmsg", err));
  }
  // Take every fd that came, so that none leaks whatever happens next.
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      received.fds.emplace_back(fd);
    }
  }
  if (n == 0) return fail(ErrorCode::Disconnected, "sync peer: the other end closed the socket");
  if ((header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    return fail(ErrorCode::Protocol, "sync peer recvmsg: packet or control data truncated");
  }
  if (static_cast<std::size_t>(n) != sizeof(SyncPeerMessage)) {
    return fail(ErrorCode::Protocol, "sync peer recvmsg: " + std::to_string(n) +
                                         " bytes, expected " +
                                         std::to_string(sizeof(SyncPeerMessage)));
  }
  std::memcpy(&received.message, buffer.data(), sizeof(SyncPeerMessage));
  if (received.message.magic != kSyncPeerMagic || received.message.version != kSyncPeerVersion) {
    return fail(ErrorCode::Protocol, "sync peer: bad magic or version");
  }
  if (received.fds.size() != received.message.fd_count) {
    return fail(ErrorCode::Protocol, "sync peer: " + std::to_string(received.fds.size()) +
                                         " fds attached, " +
                                         std::to_string(received.message.fd_count) + " declared");
  }
  received.message.text[sizeof(received.message.text) - 1] = '\0';
  return received;
}

}  // namespace geyser::test
