// Texture usage flags and the descriptor a shared texture is created from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/format.hpp"

namespace geyser {

/// How a shared texture may be used, by its producer and by its consumers.
enum class TextureUsage : std::uint32_t {
  None = 0,
  TransferSrc = 1u << 0,  ///< copied from (readback)
  TransferDst = 1u << 1,  ///< copied to (upload)
  Sampled = 1u << 2,      ///< read in shaders
  Storage = 1u << 3,      ///< written in compute shaders
  ColorAttachment = 1u << 4,
  DepthStencilAttachment = 1u << 5,
};

[[nodiscard]] constexpr TextureUsage operator|(TextureUsage a, TextureUsage b) noexcept {
  return static_cast<TextureUsage>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
[[nodiscard]] constexpr TextureUsage operator&(TextureUsage a, TextureUsage b) noexcept {
  return static_cast<TextureUsage>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
constexpr TextureUsage& operator|=(TextureUsage& a, TextureUsage b) noexcept {
  return a = a | b;
}
/// True if every flag of `flags` is in `set`.
[[nodiscard]] constexpr bool has_all(TextureUsage set, TextureUsage flags) noexcept {
  return (set & flags) == flags;
}
/// Each single usage flag, in bit order.
inline constexpr TextureUsage kAllUsages[] = {
    TextureUsage::TransferSrc, TextureUsage::TransferDst,     TextureUsage::Sampled,
    TextureUsage::Storage,     TextureUsage::ColorAttachment, TextureUsage::DepthStencilAttachment};
/// "TransferSrc", "Sampled", ... for a single flag.
[[nodiscard]] std::string_view to_string(TextureUsage single_flag) noexcept;
/// The names of the flags set in `usage`.
[[nodiscard]] std::vector<std::string_view> usage_names(TextureUsage usage);

/// How a shared texture's texels lie in its memory. Optimal: as the driver likes, known only
/// to it (the default, and what graphics consumers want). Linear: rows `row_pitch` bytes
/// apart from offset 0 (one mip level, one layer), so that a CUDA receiver gets a plain
/// device pointer, a tensor with no copy (docs/interop-cuda.md, "Linear streams").
enum class Tiling : std::uint8_t { Optimal, Linear };
/// "optimal", "linear".
[[nodiscard]] std::string_view to_string(Tiling tiling) noexcept;

/// Largest width or height Geyser accepts before asking the device (the device's own
/// limit, e.g. maxImageDimension2D, is checked at creation).
inline constexpr std::uint32_t kMaxTextureDimension = 32768;

/// Describes a 2D shared texture. Defaults give a 1x1 RGBA8 texture that can be sampled,
/// rendered to and copied both ways.
struct TextureDescriptor {
  std::uint32_t width = 1;
  std::uint32_t height = 1;
  TextureFormat format = TextureFormat::Rgba8Unorm;
  TextureUsage usage = TextureUsage::Sampled | TextureUsage::ColorAttachment |
                       TextureUsage::TransferSrc | TextureUsage::TransferDst;
  std::uint32_t mip_levels = 1;
  std::uint32_t array_layers = 1;

  friend bool operator==(const TextureDescriptor&, const TextureDescriptor&) = default;
};

/// Checks what can be checked without a device: non-zero extent within
/// kMaxTextureDimension, mip levels within the extent's chain, 1..2048 layers, a known
/// format, a non-empty usage that the format can have (no colour attachment on depth, no
/// depth attachment on colour, no storage on sRGB or depth). Fails with Validation naming
/// the offending value.
[[nodiscard]] Result<void> validate(const TextureDescriptor& desc);

/// Bytes of mip 0 of one layer, tightly packed.
[[nodiscard]] std::uint64_t tight_size_bytes(const TextureDescriptor& desc) noexcept;

/// "1920x1080 Rgba8Unorm".
[[nodiscard]] std::string describe(const TextureDescriptor& desc);

}  // namespace geyser
