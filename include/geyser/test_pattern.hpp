// The verifiable test pattern (docs/architecture.md, "Test pattern"): any consumer can check any
// frame without being told what to expect.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "geyser/format.hpp"

namespace geyser {

/// Byte `k` of texel (x, y) of frame `f`. For RGBA8 formats (k < 4) this is exactly
/// The pattern: R = (x + f) mod 256, G = (y + 2f) mod 256, B = f mod 256, A = 255.
/// Wider texels repeat the four rules with an offset of 31 * (k / 4), so every byte of
/// every format is checked bit for bit.
[[nodiscard]] constexpr std::uint8_t pattern_byte(std::uint32_t x, std::uint32_t y, std::uint32_t k,
                                                  std::uint64_t f) noexcept {
  const auto offset = static_cast<std::uint32_t>(31u * (k / 4u));
  switch (k % 4u) {
    case 0: return static_cast<std::uint8_t>(x + f + offset);
    case 1: return static_cast<std::uint8_t>(y + 2u * f + offset);
    case 2: return static_cast<std::uint8_t>(f + offset);
    default: return static_cast<std::uint8_t>(255u - offset);
  }
}

/// Fills a tightly packed `width` x `height` image of `texel_size`-byte texels with frame `f`.
/// `out` must hold width * height * texel_size bytes.
void fill_test_pattern(std::span<std::uint8_t> out, std::uint32_t width, std::uint32_t height,
                       std::uint32_t texel_size, std::uint64_t frame) noexcept;

/// The first texel that differs from frame `frame`, and what was found there.
struct PatternMismatch {
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  std::uint32_t byte = 0;
  std::uint8_t expected = 0;
  std::uint8_t actual = 0;
  std::uint64_t mismatched_bytes = 0;  ///< how many bytes differ in all
  [[nodiscard]] std::string to_string() const;
};

/// Checks a tightly packed image against frame `frame`; nullopt when every byte matches.
[[nodiscard]] std::optional<PatternMismatch> check_test_pattern(std::span<const std::uint8_t> data,
                                                                std::uint32_t width,
                                                                std::uint32_t height,
                                                                std::uint32_t texel_size,
                                                                std::uint64_t frame) noexcept;

/// For an RGBA8 image whose frame number is unknown: the frame (mod 256) that pixel (0, 0)
/// claims, from its B channel. Use with check_test_pattern to detect torn frames.
[[nodiscard]] std::uint8_t pattern_frame_of(std::span<const std::uint8_t> rgba8) noexcept;

}  // namespace geyser
