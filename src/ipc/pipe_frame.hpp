// How one message travels over a named pipe (Windows, internal; a pipe message carries no
// handles of its own): a 16-byte header, the values of the handles the sender duplicated
// into the receiver, then the bytes.
//
//   u32 magic "GYPF" | u16 version 1 | u16 handle count | u32 byte count | u32 zero
//   u64 handle value x handle count (valid in the receiving process)
//   bytes x byte count (at least one)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "geyser/error.hpp"

namespace geyser::ipc::pipe_frame {

inline constexpr std::uint32_t kMagic = 0x46505947;  // "GYPF" little-endian
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kHandleSize = 8;

/// The frame of `bytes` with `handle_values` attached. The caller bounds both.
[[nodiscard]] std::vector<std::uint8_t> encode(std::span<const std::uint64_t> handle_values,
                                               std::span<const std::uint8_t> bytes);

/// The handle values a frame claims to carry, as far as `frame` holds them: what the
/// receiver owns as soon as the message arrives, even when the rest is malformed. None when
/// the header is not a frame's.
[[nodiscard]] std::vector<std::uint64_t> handle_values(std::span<const std::uint8_t> frame);

/// The bytes of a well-formed frame. Protocol for a short header, a wrong magic, version
/// or reserved word, no bytes, or sizes that do not add up to the frame's length.
[[nodiscard]] Result<std::span<const std::uint8_t>> payload(std::span<const std::uint8_t> frame);

}  // namespace geyser::ipc::pipe_frame
