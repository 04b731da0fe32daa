// The test-only protocol between the cross-process tests and geyser_test_peer: one
// fixed-layout message per SOCK_SEQPACKET packet, at most one fd attached with SCM_RIGHTS
// (support/fixed_message.hpp has the transport and the helpers shared with the sync peer).
#pragma once

#include <cstdint>
#include <type_traits>

#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"
#include "geyser/unique_fd.hpp"
#include "support/fixed_message.hpp"

namespace geyser::test {

inline constexpr std::uint32_t kPeerMagic = 0x52455047;  // "GPER"
inline constexpr std::uint16_t kPeerVersion = 1;

enum class PeerCommand : std::uint16_t {
  Hello = 1,  ///< peer -> test, first message: identity, or why it has no device
  ImportCheckWrite =
      2,              ///< test -> peer, with a handle: import, check frame_check, write frame_write
  CreateExport = 3,   ///< test -> peer, descriptor only: create, write frame_write, export
  CheckExported = 4,  ///< test -> peer: check frame_check in the texture made by CreateExport
  Quit = 5,           ///< test -> peer: tear down, reply, exit
  Reply = 6,          ///< peer -> test: status and text, a handle after CreateExport
};

/// One message. Plain fields only; the fd of a handle travels beside it.
struct PeerMessage {
  std::uint32_t magic = kPeerMagic;
  std::uint16_t version = kPeerVersion;
  std::uint16_t command = 0;     ///< PeerCommand
  std::uint32_t status = 0;      ///< PeerStatus (replies)
  std::uint32_t has_handle = 0;  ///< 1: the handle fields are set and one fd is attached
  std::uint64_t frame_check = 0;
  std::uint64_t frame_write = 0;
  std::uint8_t driver_uuid[16] = {};
  std::uint8_t device_uuid[16] = {};
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t format = 0;  ///< TextureFormat
  std::uint32_t usage = 0;   ///< TextureUsage
  std::uint32_t mip_levels = 0;
  std::uint32_t array_layers = 0;
  std::uint32_t handle_type = 0;  ///< MemoryHandleType
  std::uint32_t vk_format = 0;
  std::uint32_t tiling = 0;
  std::uint32_t vk_usage = 0;
  std::uint32_t create_flags = 0;
  std::uint32_t memory_type_index = 0;
  std::uint64_t allocation_size = 0;
  std::uint32_t dedicated = 0;
  std::uint32_t error_code = 0;  ///< ErrorCode when status is Error
  char text[512] = {};           ///< NUL-terminated
};
static_assert(std::is_trivially_copyable_v<PeerMessage>);
static_assert(sizeof(PeerMessage) == 640, "PeerMessage must have no hidden padding");

/// A message of `command` with everything else zero. set_text, text_of, put_descriptor and
/// take_descriptor come from support/fixed_message.hpp.
[[nodiscard]] PeerMessage make_message(PeerCommand command);

/// Sets every plain field of `handle` (not its fd) and has_handle.
void put_handle(PeerMessage& message, const TextureShareHandle& handle);
/// Builds a handle from the message's plain fields and `fd`, which it takes.
[[nodiscard]] TextureShareHandle take_handle(const PeerMessage& message, UniqueFd fd);

/// Sends `message` as one packet, with `fd` attached when it is not -1 (the caller keeps
/// its fd). Disconnected when the other end is gone.
[[nodiscard]] Result<void> send_message(const UniqueFd& socket, const PeerMessage& message,
                                        int fd = -1);

struct ReceivedMessage {
  PeerMessage message;
  UniqueFd fd;  ///< the attached fd, if has_handle
};
/// Waits up to `timeout_ms` for one message. Timeout, Disconnected at EOF, Protocol for a
/// short packet, a bad magic or version, or fds that do not match has_handle.
[[nodiscard]] Result<ReceivedMessage> receive_message(const UniqueFd& socket, int timeout_ms);

}  // namespace geyser::test
