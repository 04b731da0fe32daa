#include "geyser/format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

namespace geyser {

namespace {

// Core must not depend on the Vulkan or GL headers, so the enum values are spelled out
// here; tests/core/format_test.cpp checks each against vulkan_core.h and GL/glext.h.

// VkFormat
constexpr std::uint32_t kVkR8Unorm = 9;               // VK_FORMAT_R8_UNORM
constexpr std::uint32_t kVkR8G8Unorm = 16;            // VK_FORMAT_R8G8_UNORM
constexpr std::uint32_t kVkR8G8B8A8Unorm = 37;        // VK_FORMAT_R8G8B8A8_UNORM
constexpr std::uint32_t kVkR8G8B8A8Snorm = 38;        // VK_FORMAT_R8G8B8A8_SNORM
constexpr std::uint32_t kVkR8G8B8A8Uint = 41;         // VK_FORMAT_R8G8B8A8_UINT
constexpr std::uint32_t kVkR8G8B8A8Srgb = 43;         // VK_FORMAT_R8G8B8A8_SRGB
constexpr std::uint32_t kVkB8G8R8A8Unorm = 44;        // VK_FORMAT_B8G8R8A8_UNORM
constexpr std::uint32_t kVkB8G8R8A8Srgb = 50;         // VK_FORMAT_B8G8R8A8_SRGB
constexpr std::uint32_t kVkA2B10G10R10Unorm = 64;     // VK_FORMAT_A2B10G10R10_UNORM_PACK32
constexpr std::uint32_t kVkR16Unorm = 70;             // VK_FORMAT_R16_UNORM
constexpr std::uint32_t kVkR16Uint = 74;              // VK_FORMAT_R16_UINT
constexpr std::uint32_t kVkR16Sint = 75;              // VK_FORMAT_R16_SINT
constexpr std::uint32_t kVkR16Sfloat = 76;            // VK_FORMAT_R16_SFLOAT
constexpr std::uint32_t kVkR16G16Unorm = 77;          // VK_FORMAT_R16G16_UNORM
constexpr std::uint32_t kVkR16G16Sfloat = 83;         // VK_FORMAT_R16G16_SFLOAT
constexpr std::uint32_t kVkR16G16B16A16Unorm = 91;    // VK_FORMAT_R16G16B16A16_UNORM
constexpr std::uint32_t kVkR16G16B16A16Uint = 95;     // VK_FORMAT_R16G16B16A16_UINT
constexpr std::uint32_t kVkR16G16B16A16Sfloat = 97;   // VK_FORMAT_R16G16B16A16_SFLOAT
constexpr std::uint32_t kVkR32Uint = 98;              // VK_FORMAT_R32_UINT
constexpr std::uint32_t kVkR32Sint = 99;              // VK_FORMAT_R32_SINT
constexpr std::uint32_t kVkR32Sfloat = 100;           // VK_FORMAT_R32_SFLOAT
constexpr std::uint32_t kVkR32G32Sfloat = 103;        // VK_FORMAT_R32G32_SFLOAT
constexpr std::uint32_t kVkR32G32B32A32Sfloat = 109;  // VK_FORMAT_R32G32B32A32_SFLOAT
constexpr std::uint32_t kVkB10G11R11Ufloat = 122;     // VK_FORMAT_B10G11R11_UFLOAT_PACK32
constexpr std::uint32_t kVkD16Unorm = 124;            // VK_FORMAT_D16_UNORM
constexpr std::uint32_t kVkX8D24Unorm = 125;          // VK_FORMAT_X8_D24_UNORM_PACK32
constexpr std::uint32_t kVkD32Sfloat = 126;           // VK_FORMAT_D32_SFLOAT
constexpr std::uint32_t kVkD24UnormS8Uint = 129;      // VK_FORMAT_D24_UNORM_S8_UINT

// GLenum sized internal formats
constexpr std::uint32_t kGlRgba8 = 0x8058;              // GL_RGBA8
constexpr std::uint32_t kGlRgb10A2 = 0x8059;            // GL_RGB10_A2
constexpr std::uint32_t kGlRgba16 = 0x805B;             // GL_RGBA16
constexpr std::uint32_t kGlDepthComponent16 = 0x81A5;   // GL_DEPTH_COMPONENT16
constexpr std::uint32_t kGlDepthComponent24 = 0x81A6;   // GL_DEPTH_COMPONENT24
constexpr std::uint32_t kGlR8 = 0x8229;                 // GL_R8
constexpr std::uint32_t kGlR16 = 0x822A;                // GL_R16
constexpr std::uint32_t kGlRg8 = 0x822B;                // GL_RG8
constexpr std::uint32_t kGlRg16 = 0x822C;               // GL_RG16
constexpr std::uint32_t kGlR16f = 0x822D;               // GL_R16F
constexpr std::uint32_t kGlR32f = 0x822E;               // GL_R32F
constexpr std::uint32_t kGlRg16f = 0x822F;              // GL_RG16F
constexpr std::uint32_t kGlRg32f = 0x8230;              // GL_RG32F
constexpr std::uint32_t kGlR16i = 0x8233;               // GL_R16I
constexpr std::uint32_t kGlR16ui = 0x8234;              // GL_R16UI
constexpr std::uint32_t kGlR32i = 0x8235;               // GL_R32I
constexpr std::uint32_t kGlR32ui = 0x8236;              // GL_R32UI
constexpr std::uint32_t kGlRgba32f = 0x8814;            // GL_RGBA32F
constexpr std::uint32_t kGlRgba16f = 0x881A;            // GL_RGBA16F
constexpr std::uint32_t kGlDepth24Stencil8 = 0x88F0;    // GL_DEPTH24_STENCIL8
constexpr std::uint32_t kGlR11fG11fB10f = 0x8C3A;       // GL_R11F_G11F_B10F
constexpr std::uint32_t kGlSrgb8Alpha8 = 0x8C43;        // GL_SRGB8_ALPHA8
constexpr std::uint32_t kGlDepthComponent32f = 0x8CAC;  // GL_DEPTH_COMPONENT32F
constexpr std::uint32_t kGlRgba16ui = 0x8D76;           // GL_RGBA16UI
constexpr std::uint32_t kGlRgba8ui = 0x8D7C;            // GL_RGBA8UI
constexpr std::uint32_t kGlRgba8Snorm = 0x8F97;         // GL_RGBA8_SNORM

using F = TextureFormat;
using K = FormatKind;

// clang-format off
// storage_capable follows the formats that core Vulkan guarantees (or that
// shaderStorageImageExtendedFormats adds) for VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT; sRGB and
// depth formats never are, and B8G8R8A8_UNORM is not guaranteed.
constexpr std::array kFormats = {
//  format                  name                   vk_format              gl_internal_format    size ch kind            srgb   bgra   storage
  FormatInfo{F::Rgba8Unorm,   "Rgba8Unorm",   kVkR8G8B8A8Unorm,     kGlRgba8,             4, 4, K::Color,        false, false, true},
  FormatInfo{F::Bgra8Unorm,   "Bgra8Unorm",   kVkB8G8R8A8Unorm,     kGlRgba8,             4, 4, K::Color,        false, true,  false},
  FormatInfo{F::Rgba8Srgb,    "Rgba8Srgb",    kVkR8G8B8A8Srgb,      kGlSrgb8Alpha8,       4, 4, K::Color,        true,  false, false},
  FormatInfo{F::Bgra8Srgb,    "Bgra8Srgb",    kVkB8G8R8A8Srgb,      kGlSrgb8Alpha8,       4, 4, K::Color,        true,  true,  false},
  FormatInfo{F::Rgba8Snorm,   "Rgba8Snorm",   kVkR8G8B8A8Snorm,     kGlRgba8Snorm,        4, 4, K::Color,        false, false, true},
  FormatInfo{F::Rgba8Uint,    "Rgba8Uint",    kVkR8G8B8A8Uint,      kGlRgba8ui,           4, 4, K::Color,        false, false, true},
  FormatInfo{F::R8Unorm,      "R8Unorm",      kVkR8Unorm,           kGlR8,                1, 1, K::Color,        false, false, true},
  FormatInfo{F::Rg8Unorm,     "Rg8Unorm",     kVkR8G8Unorm,         kGlRg8,               2, 2, K::Color,        false, false, true},
  FormatInfo{F::R16Unorm,     "R16Unorm",     kVkR16Unorm,          kGlR16,               2, 1, K::Color,        false, false, true},
  FormatInfo{F::Rg16Unorm,    "Rg16Unorm",    kVkR16G16Unorm,       kGlRg16,              4, 2, K::Color,        false, false, true},
  FormatInfo{F::Rgba16Unorm,  "Rgba16Unorm",  kVkR16G16B16A16Unorm, kGlRgba16,            8, 4, K::Color,        false, false, true},
  FormatInfo{F::R16Float,     "R16Float",     kVkR16Sfloat,         kGlR16f,              2, 1, K::Color,        false, false, true},
  FormatInfo{F::Rg16Float,    "Rg16Float",    kVkR16G16Sfloat,      kGlRg16f,             4, 2, K::Color,        false, false, true},
  FormatInfo{F::Rgba16Float,  "Rgba16Float",  kVkR16G16B16A16Sfloat, kGlRgba16f,          8, 4, K::Color,        false, false, true},
  FormatInfo{F::R16Uint,      "R16Uint",      kVkR16Uint,           kGlR16ui,             2, 1, K::Color,        false, false, true},
  FormatInfo{F::R16Sint,      "R16Sint",      kVkR16Sint,           kGlR16i,              2, 1, K::Color,        false, false, true},
  FormatInfo{F::Rgba16Uint,   "Rgba16Uint",   kVkR16G16B16A16Uint,  kGlRgba16ui,          8, 4, K::Color,        false, false, true},
  FormatInfo{F::R32Float,     "R32Float",     kVkR32Sfloat,         kGlR32f,              4, 1, K::Color,        false, false, true},
  FormatInfo{F::Rg32Float,    "Rg32Float",    kVkR32G32Sfloat,      kGlRg32f,             8, 2, K::Color,        false, false, true},
  FormatInfo{F::Rgba32Float,  "Rgba32Float",  kVkR32G32B32A32Sfloat, kGlRgba32f,         16, 4, K::Color,        false, false, true},
  FormatInfo{F::R32Uint,      "R32Uint",      kVkR32Uint,           kGlR32ui,             4, 1, K::Color,        false, false, true},
  FormatInfo{F::R32Sint,      "R32Sint",      kVkR32Sint,           kGlR32i,              4, 1, K::Color,        false, false, true},
  FormatInfo{F::Rgb10a2Unorm, "Rgb10a2Unorm", kVkA2B10G10R10Unorm,  kGlRgb10A2,           4, 4, K::Color,        false, false, true},
  FormatInfo{F::Rg11b10Float, "Rg11b10Float", kVkB10G11R11Ufloat,   kGlR11fG11fB10f,      4, 3, K::Color,        false, false, true},
  FormatInfo{F::Depth16Unorm, "Depth16Unorm", kVkD16Unorm,          kGlDepthComponent16,  2, 1, K::Depth,        false, false, false},
  FormatInfo{F::Depth32Float, "Depth32Float", kVkD32Sfloat,         kGlDepthComponent32f, 4, 1, K::Depth,        false, false, false},
  FormatInfo{F::Depth24Plus,  "Depth24Plus",  kVkX8D24Unorm,        kGlDepthComponent24,  4, 1, K::Depth,        false, false, false},
  // Texel size 4: a buffer copy of the depth aspect of D24_UNORM_S8_UINT packs 24-bit depth
  // in 32 bits (the stencil aspect is copied separately, 1 byte per texel).
  FormatInfo{F::Depth24PlusStencil8, "Depth24PlusStencil8", kVkD24UnormS8Uint, kGlDepth24Stencil8, 4, 2, K::DepthStencil, false, false, false},
};
// clang-format on

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kFormats.size(); ++i) {
    if (static_cast<std::size_t>(kFormats[i].format) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kFormats must list every TextureFormat in enum order");
static_assert(kFormats.back().format == TextureFormat::Depth24PlusStencil8,
              "kFormats must end with the last TextureFormat");

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

}  // namespace

std::span<const FormatInfo> all_formats() noexcept {
  return kFormats;
}

const FormatInfo& format_info(TextureFormat format) noexcept {
  const auto index = static_cast<std::size_t>(format);
  if (index >= kFormats.size()) {
    std::fprintf(stderr, "geyser: format_info: TextureFormat %zu is not a known format\n", index);
    std::abort();
  }
  return kFormats[index];
}

std::string_view to_string(TextureFormat format) noexcept {
  const auto index = static_cast<std::size_t>(format);
  // Out-of-range values get a name rather than an abort, so error messages can print them.
  return index < kFormats.size() ? kFormats[index].name : std::string_view("Unknown");
}

std::optional<TextureFormat> parse_format(std::string_view name) noexcept {
  for (const FormatInfo& info : kFormats) {
    if (equal_ignoring_case(info.name, name)) return info.format;
  }
  return std::nullopt;
}

std::optional<TextureFormat> format_from_vk(std::uint32_t vk_format) noexcept {
  for (const FormatInfo& info : kFormats) {
    if (info.vk_format == vk_format) return info.format;
  }
  return std::nullopt;
}

}  // namespace geyser
