// What the sync tests and geyser_sync_peer agree on about a stream of frames: its length,
// its ring, its textures, and the check of every pixel of every frame. No gtest here: the
// peer uses it too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"

namespace geyser::test {

/// Frames every stream test sends, as the issue asks: 1..200.
inline constexpr std::uint64_t kStreamFrames = 200;
/// Slots of the ring every stream test uses.
inline constexpr std::uint32_t kRingSlots = 2;
/// How long a wait that should succeed may take: generous, lavapipe with the validation layer
/// on two busy cores is slow, and a hang must still end.
inline constexpr std::chrono::milliseconds kWaitTimeout{20'000};
/// An RGBA8 texture that can be copied both ways (upload and readback).
[[nodiscard]] inline TextureDescriptor rgba8(std::uint32_t width, std::uint32_t height) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = TextureFormat::Rgba8Unorm;
  desc.usage = TextureUsage::TransferSrc | TextureUsage::TransferDst | TextureUsage::Sampled;
  return desc;
}

/// Bytes of frame `frame` of the test pattern for an RGBA8 `desc`.
[[nodiscard]] inline std::vector<std::uint8_t> frame_bytes(const TextureDescriptor& desc,
                                                           std::uint64_t frame) {
  const std::uint32_t texel = format_info(desc.format).texel_size;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(desc.width) * desc.height * texel);
  fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
  return bytes;
}

/// Nothing when `data` is exactly frame `frame` of the test pattern for `desc`, every byte of
/// every pixel; otherwise what differs (a torn frame names the first pixel of the other frame,
/// a stale one pixel (0, 0)).
[[nodiscard]] inline std::optional<std::string> frame_mismatch(
    const TextureDescriptor& desc, const std::vector<std::uint8_t>& data, std::uint64_t frame) {
  const std::uint32_t texel = format_info(desc.format).texel_size;
  const std::size_t expected = static_cast<std::size_t>(desc.width) * desc.height * texel;
  if (data.size() != expected) {
    return "frame " + std::to_string(frame) + ": " + std::to_string(data.size()) +
           " bytes read back, expected " + std::to_string(expected);
  }
  if (const auto mismatch = check_test_pattern(data, desc.width, desc.height, texel, frame)) {
    std::string text =
        "frame " + std::to_string(frame) + " of " + describe(desc) + ": " + mismatch->to_string();
    if (desc.format == TextureFormat::Rgba8Unorm) {
      text += " (pixel (0,0) claims frame " + std::to_string(pattern_frame_of(data)) + " mod 256)";
    }
    return text;
  }
  return std::nullopt;
}

}  // namespace geyser::test
