// Texture formats and what each maps to in Vulkan and OpenGL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace geyser {

/// The formats a shared texture can have. Names follow WebGPU/Dawn: channel order, bits,
/// then the numeric type.
enum class TextureFormat : std::uint16_t {
  Rgba8Unorm,
  Bgra8Unorm,
  Rgba8Srgb,
  Bgra8Srgb,
  Rgba8Snorm,
  Rgba8Uint,
  R8Unorm,
  Rg8Unorm,
  R16Unorm,
  Rg16Unorm,
  Rgba16Unorm,
  R16Float,
  Rg16Float,
  Rgba16Float,
  R16Uint,
  R16Sint,
  Rgba16Uint,
  R32Float,
  Rg32Float,
  Rgba32Float,
  R32Uint,
  R32Sint,
  Rgb10a2Unorm,
  Rg11b10Float,
  Depth16Unorm,
  Depth32Float,
  Depth24Plus,
  Depth24PlusStencil8,
};

/// What kind of values a format holds.
enum class FormatKind : std::uint8_t { Color, Depth, DepthStencil };

/// Static facts about one format.
struct FormatInfo {
  TextureFormat format;
  std::string_view name;             ///< e.g. "Rgba8Unorm"
  std::uint32_t vk_format;           ///< VkFormat value
  std::uint32_t gl_internal_format;  ///< GLenum sized internal format for glTexStorageMem2DEXT
  std::uint32_t texel_size;          ///< bytes per texel in a tightly packed buffer copy
  std::uint8_t channels;             ///< number of components
  FormatKind kind;
  bool srgb;
  bool bgra;             ///< GL has no BGRA storage: GL views it as RGBA, swizzle on sampling
  bool storage_capable;  ///< may be a storage image in core Vulkan (not sRGB, not depth)
};

/// Every format, in enum order.
[[nodiscard]] std::span<const FormatInfo> all_formats() noexcept;
/// The facts about `format`. Aborts on a value outside the enum (a broken contract).
[[nodiscard]] const FormatInfo& format_info(TextureFormat format) noexcept;
/// "Rgba8Unorm".
[[nodiscard]] std::string_view to_string(TextureFormat format) noexcept;
/// Parses a format name, case-insensitively ("rgba8unorm", "Rgba8Unorm").
[[nodiscard]] std::optional<TextureFormat> parse_format(std::string_view name) noexcept;
/// The format whose Vulkan equivalent is `vk_format`, if any.
[[nodiscard]] std::optional<TextureFormat> format_from_vk(std::uint32_t vk_format) noexcept;

}  // namespace geyser
