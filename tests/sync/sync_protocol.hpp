// The test-only protocol between the cross-process sync tests and geyser_sync_peer: one
// fixed-layout message per SOCK_SEQPACKET packet, with up to kMaxSyncPeerFds fds attached
// with SCM_RIGHTS (a slot carries three: the texture's memory, and the ready and released
// timelines). support/fixed_message.hpp has the transport and the helpers shared with the
// texture peer.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/sync.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "support/fixed_message.hpp"

namespace geyser::test {

inline constexpr std::uint32_t kSyncPeerMagic = 0x434e5947;  // "GYNC"
inline constexpr std::uint16_t kSyncPeerVersion = 1;
inline constexpr std::uint32_t kMaxSyncPeerFds = 3;

enum class SyncPeerCommand : std::uint16_t {
  Hello = 1,        ///< peer -> test, first message: identity and sync capabilities, or why not
  Slot = 2,         ///< test -> peer, 3 fds: import slot `slot`'s texture and join its sync
  Read = 3,         ///< test -> peer: read frames first_frame..last_frame, check each, report
  Quit = 4,         ///< test -> peer: tear down, send Bye (a Reply), exit
  Reply = 5,        ///< peer -> test: the outcome of Slot, or Bye
  FrameFailed = 6,  ///< peer -> test during Read: frame `frame` was wrong or its read failed
  Summary = 7,      ///< peer -> test: the end of a Read: frames_ok, frames_failed
};

using SyncPeerStatus = PeerStatus;

/// One message. Plain fields only; fds travel beside it (fd_count of them).
struct SyncPeerMessage {
  std::uint32_t magic = kSyncPeerMagic;
  std::uint16_t version = kSyncPeerVersion;
  std::uint16_t command = 0;  ///< SyncPeerCommand
  std::uint32_t status = 0;   ///< SyncPeerStatus
  std::uint32_t error_code = 0;
  std::uint32_t fd_count = 0;
  std::uint32_t slot = 0;             ///< Slot: which slot; Read: unused
  std::uint32_t slot_count = 0;       ///< Read: frame f is in slot f % slot_count
  std::uint32_t sync_mode = 0;        ///< SyncMode
  std::uint32_t timeline_export = 0;  ///< Hello: the peer's SyncCapabilities
  std::uint32_t timeline_import = 0;
  std::uint32_t hang_after = 0;  ///< Read: 1 = after the Summary, stop answering until killed
  std::uint32_t reserved0 = 0;
  std::uint64_t first_frame = 0;
  std::uint64_t last_frame = 0;
  std::uint64_t frame = 0;       ///< FrameFailed
  std::uint64_t timeout_ms = 0;  ///< Read: the timeout of each TextureSync::read
  std::uint64_t elapsed_ms = 0;  ///< FrameFailed: how long the failed read took; Summary: all
  std::uint64_t frames_ok = 0;
  std::uint64_t frames_failed = 0;
  std::uint8_t driver_uuid[16] = {};  ///< Hello: the peer's; Slot: the texture handle's
  std::uint8_t device_uuid[16] = {};
  std::uint8_t sync_driver_uuid[16] = {};  ///< Slot: the sync handles' identity
  std::uint8_t sync_device_uuid[16] = {};
  // Slot: the texture handle's plain fields.
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t format = 0;
  std::uint32_t usage = 0;
  std::uint32_t mip_levels = 0;
  std::uint32_t array_layers = 0;
  std::uint32_t handle_type = 0;
  std::uint32_t vk_format = 0;
  std::uint32_t tiling = 0;
  std::uint32_t vk_usage = 0;
  std::uint32_t create_flags = 0;
  std::uint32_t memory_type_index = 0;
  std::uint64_t allocation_size = 0;
  std::uint32_t dedicated = 0;
  std::uint32_t reserved1 = 0;
  char text[512] = {};  ///< NUL-terminated
};
static_assert(std::is_trivially_copyable_v<SyncPeerMessage>);
static_assert(sizeof(SyncPeerMessage) == 744, "SyncPeerMessage must have no hidden padding");

/// A message of `command` with everything else zero. set_text and text_of come from
/// support/fixed_message.hpp.
[[nodiscard]] SyncPeerMessage make_sync_message(SyncPeerCommand command);

/// A Slot message for `slot` and the fds to attach, in order: texture, ready, released (the
/// handles keep owning them).
[[nodiscard]] std::pair<SyncPeerMessage, std::vector<int>> make_slot_message(
    std::uint32_t slot, const TextureShareHandle& texture, const vulkan::SyncShareHandles& sync);
/// The handles of a Slot message; takes the three fds.
[[nodiscard]] Result<std::pair<TextureShareHandle, vulkan::SyncShareHandles>> take_slot(
    const SyncPeerMessage& message, std::vector<UniqueFd> fds);

/// Sends `message` as one packet with `fds` attached (the caller keeps its fds); sets
/// fd_count. Disconnected when the other end is gone.
[[nodiscard]] Result<void> send_sync_message(const UniqueFd& socket, SyncPeerMessage message,
                                             std::span<const int> fds = {});

struct ReceivedSyncMessage {
  SyncPeerMessage message;
  std::vector<UniqueFd> fds;
};
/// Waits up to `timeout_ms` for one message. Timeout; Disconnected at EOF; Protocol for a
/// short packet, a bad magic or version, or fds that do not match fd_count.
[[nodiscard]] Result<ReceivedSyncMessage> receive_sync_message(const UniqueFd& socket,
                                                               int timeout_ms);

}  // namespace geyser::test
