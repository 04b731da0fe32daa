// How a receiver gets a channel's frames: zero-copy on the sender's device, or through
// shared host memory (docs/host-frames.md). Negotiated per receiver, like the sync mode.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "geyser/format.hpp"

namespace geyser {

/// What a receiver gets.
enum class Transfer : std::uint8_t {
  Device,  ///< the sender's slots themselves, imported on the same device (zero-copy)
  Host,    ///< linear copies in shared host memory, one GPU copy per frame for all such receivers
};
[[nodiscard]] std::string_view to_string(Transfer transfer) noexcept;

/// What a receiver asks for in its Hello.
enum class TransferRequest : std::uint8_t {
  Device,  ///< zero-copy only: a sender on another device is DeviceMismatch
  Auto,    ///< zero-copy when the devices match, host frames when they do not
  Host,    ///< host frames always (a receiver with no GPU, or one that wants a CPU mapping)
};
[[nodiscard]] std::string_view to_string(TransferRequest request) noexcept;
/// "device", "auto" or "host" (case-insensitive).
[[nodiscard]] std::optional<TransferRequest> parse_transfer_request(std::string_view text) noexcept;

/// The transfer a sender picks for a receiver whose device is (`same_device`) or is not the
/// sender's; nullopt when the request cannot be met (Device on another device).
[[nodiscard]] std::optional<Transfer> choose_transfer(TransferRequest request,
                                                      bool same_device) noexcept;

/// Row pitches of host frames are multiples of this many bytes (docs/host-frames.md).
inline constexpr std::uint32_t kHostRowAlignment = 256;
/// Each host slot's size is rounded up to a multiple of this, so that a device can import
/// it with VK_EXT_external_memory_host (whose alignment is at most this on every driver
/// we know of).
inline constexpr std::uint64_t kHostSlotAlignment = 64 * 1024;

/// The row pitch of a host frame `width` texels wide in `format`: width x texel size
/// rounded up to kHostRowAlignment (a multiple of every texel size).
[[nodiscard]] std::uint32_t host_row_pitch(std::uint32_t width, TextureFormat format) noexcept;
/// The size of one host slot: row pitch x height, rounded up to kHostSlotAlignment.
[[nodiscard]] std::uint64_t host_slot_size(std::uint32_t width, std::uint32_t height,
                                           TextureFormat format) noexcept;

}  // namespace geyser
