#include "vulkan/peer_protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace geyser::test {

PeerMessage make_message(PeerCommand command) {
  PeerMessage message;
  message.command = static_cast<std::uint16_t>(command);
  return message;
}

void set_text(PeerMessage& message, std::string_view text) {
  const std::size_t n = std::min(text.size(), sizeof(message.text) - 1);
  std::memcpy(message.text, text.data(), n);
  message.text[n] = '\0';
}

std::string text_of(const PeerMessage& message) {
  return std::string(message.text, strnlen(message.text, sizeof(message.text)));
}

void put_descriptor(PeerMessage& message, const TextureDescriptor& desc) {
  message.width = desc.width;
  message.height = desc.height;
  message.format = static_cast<std::uint32_t>(desc.format);
  message.usage = static_cast<std::uint32_t>(desc.usage);
  message.mip_levels = desc.mip_levels;
  message.array_layers = desc.array_layers;
}

TextureDescriptor take_descriptor(const PeerMessage& message) {
  TextureDescriptor desc;
  desc.width = message.width;
  desc.height = message.height;
  desc.format = static_cast<TextureFormat>(message.format);
  desc.usage = static_cast<TextureUsage>(message.usage);
  desc.mip_levels = message.mip_levels;
  desc.array_layers = message.array_layers;
  return desc;
}

void put_handle(PeerMessage& message, const TextureShareHandle& handle) {
  message.has_handle = 1;
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

TextureShareHandle take_handle(const PeerMessage& message, UniqueFd fd) {
  TextureShareHandle handle;
  handle.fd = std::move(fd);
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

Result<void> send_message(int socket, const PeerMessage& message, int fd) {
  iovec iov{};
  iov.iov_base = const_cast<PeerMessage*>(&message);
  iov.iov_len = sizeof(message);
  msghdr header{};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  ssize_t sent = 0;
  do {
    // MSG_NOSIGNAL: a dead peer must give EPIPE, not kill the test with SIGPIPE.
    sent = sendmsg(socket, &header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    const int err = errno;
    return fail(Error::from_errno(
        err == EPIPE || err == ECONNRESET ? ErrorCode::Disconnected : ErrorCode::Internal,
        "peer sendmsg", err));
  }
  if (static_cast<std::size_t>(sent) != sizeof(message)) {
    return fail(ErrorCode::Protocol, "peer sendmsg: sent " + std::to_string(sent) + " of " +
                                         std::to_string(sizeof(message)) + " bytes");
  }
  return {};
}

Result<ReceivedMessage> receive_message(int socket, int timeout_ms) {
  pollfd pfd{};
  pfd.fd = socket;
  pfd.events = POLLIN;
  int ready = 0;
  do {
    ready = poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return fail(Error::from_errno(ErrorCode::Internal, "peer poll", errno));
  if (ready == 0) {
    return fail(ErrorCode::Timeout,
                "peer: no message within " + std::to_string(timeout_ms) + " ms");
  }

  ReceivedMessage received;
  // One byte more than a message, to see an oversized packet as MSG_TRUNC.
  std::vector<char> buffer(sizeof(PeerMessage) + 1);
  iovec iov{};
  iov.iov_base = buffer.data();
  iov.iov_len = buffer.size();
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))] = {};
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
                                  "peer recvmsg", err));
  }

  // Take every fd that came, so that none leaks whatever happens next.
  std::vector<UniqueFd> fds;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }

  if (n == 0) return fail(ErrorCode::Disconnected, "peer: the other end closed the socket");
  if ((header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    return fail(ErrorCode::Protocol, "peer recvmsg: packet or control data truncated");
  }
  if (static_cast<std::size_t>(n) != sizeof(PeerMessage)) {
    return fail(ErrorCode::Protocol, "peer recvmsg: " + std::to_string(n) + " bytes, expected " +
                                         std::to_string(sizeof(PeerMessage)));
  }
  std::memcpy(&received.message, buffer.data(), sizeof(PeerMessage));
  if (received.message.magic != kPeerMagic || received.message.version != kPeerVersion) {
    return fail(ErrorCode::Protocol, "peer: bad magic or version");
  }
  const std::size_t expected_fds = received.message.has_handle != 0 ? 1 : 0;
  if (fds.size() != expected_fds) {
    return fail(ErrorCode::Protocol, "peer: " + std::to_string(fds.size()) + " fds attached, " +
                                         std::to_string(expected_fds) + " expected");
  }
  if (!fds.empty()) received.fd = std::move(fds.front());
  received.message.text[sizeof(received.message.text) - 1] = '\0';
  return received;
}

}  // namespace geyser::test
