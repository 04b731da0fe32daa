#include "geyser/format.hpp"

#include <cctype>
#include <set>
#include <string>

#include <GL/gl.h>
#include <GL/glext.h>
#include <vulkan/vulkan_core.h>

#include <gtest/gtest.h>

namespace geyser {
namespace {

struct Expected {
  TextureFormat format;
  VkFormat vk;
  GLenum gl;
  std::uint32_t texel_size;
  FormatKind kind;
  bool srgb;
  bool bgra;
  bool storage;
};

using F = TextureFormat;
using K = FormatKind;

// The reference table, written against the real headers (format.cpp may not include them).
constexpr Expected kExpected[] = {
    {F::Rgba8Unorm, VK_FORMAT_R8G8B8A8_UNORM, GL_RGBA8, 4, K::Color, false, false, true},
    {F::Bgra8Unorm, VK_FORMAT_B8G8R8A8_UNORM, GL_RGBA8, 4, K::Color, false, true, false},
    {F::Rgba8Srgb, VK_FORMAT_R8G8B8A8_SRGB, GL_SRGB8_ALPHA8, 4, K::Color, true, false, false},
    {F::Bgra8Srgb, VK_FORMAT_B8G8R8A8_SRGB, GL_SRGB8_ALPHA8, 4, K::Color, true, true, false},
    {F::Rgba8Snorm, VK_FORMAT_R8G8B8A8_SNORM, GL_RGBA8_SNORM, 4, K::Color, false, false, true},
    {F::Rgba8Uint, VK_FORMAT_R8G8B8A8_UINT, GL_RGBA8UI, 4, K::Color, false, false, true},
    {F::R8Unorm, VK_FORMAT_R8_UNORM, GL_R8, 1, K::Color, false, false, true},
    {F::Rg8Unorm, VK_FORMAT_R8G8_UNORM, GL_RG8, 2, K::Color, false, false, true},
    {F::R16Unorm, VK_FORMAT_R16_UNORM, GL_R16, 2, K::Color, false, false, true},
    {F::Rg16Unorm, VK_FORMAT_R16G16_UNORM, GL_RG16, 4, K::Color, false, false, true},
    {F::Rgba16Unorm, VK_FORMAT_R16G16B16A16_UNORM, GL_RGBA16, 8, K::Color, false, false, true},
    {F::R16Float, VK_FORMAT_R16_SFLOAT, GL_R16F, 2, K::Color, false, false, true},
    {F::Rg16Float, VK_FORMAT_R16G16_SFLOAT, GL_RG16F, 4, K::Color, false, false, true},
    {F::Rgba16Float, VK_FORMAT_R16G16B16A16_SFLOAT, GL_RGBA16F, 8, K::Color, false, false, true},
    {F::R16Uint, VK_FORMAT_R16_UINT, GL_R16UI, 2, K::Color, false, false, true},
    {F::R16Sint, VK_FORMAT_R16_SINT, GL_R16I, 2, K::Color, false, false, true},
    {F::Rgba16Uint, VK_FORMAT_R16G16B16A16_UINT, GL_RGBA16UI, 8, K::Color, false, false, true},
    {F::R32Float, VK_FORMAT_R32_SFLOAT, GL_R32F, 4, K::Color, false, false, true},
    {F::Rg32Float, VK_FORMAT_R32G32_SFLOAT, GL_RG32F, 8, K::Color, false, false, true},
    {F::Rgba32Float, VK_FORMAT_R32G32B32A32_SFLOAT, GL_RGBA32F, 16, K::Color, false, false, true},
    {F::R32Uint, VK_FORMAT_R32_UINT, GL_R32UI, 4, K::Color, false, false, true},
    {F::R32Sint, VK_FORMAT_R32_SINT, GL_R32I, 4, K::Color, false, false, true},
    {F::Rgb10a2Unorm, VK_FORMAT_A2B10G10R10_UNORM_PACK32, GL_RGB10_A2, 4, K::Color, false, false,
     true},
    {F::Rg11b10Float, VK_FORMAT_B10G11R11_UFLOAT_PACK32, GL_R11F_G11F_B10F, 4, K::Color, false,
     false, true},
    {F::Depth16Unorm, VK_FORMAT_D16_UNORM, GL_DEPTH_COMPONENT16, 2, K::Depth, false, false, false},
    {F::Depth32Float, VK_FORMAT_D32_SFLOAT, GL_DEPTH_COMPONENT32F, 4, K::Depth, false, false,
     false},
    {F::Depth24Plus, VK_FORMAT_X8_D24_UNORM_PACK32, GL_DEPTH_COMPONENT24, 4, K::Depth, false, false,
     false},
    {F::Depth24PlusStencil8, VK_FORMAT_D24_UNORM_S8_UINT, GL_DEPTH24_STENCIL8, 4, K::DepthStencil,
     false, false, false},
};

constexpr bool expected_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kExpected); ++i) {
    if (static_cast<std::size_t>(kExpected[i].format) != i) return false;
  }
  return true;
}
static_assert(expected_in_enum_order(), "kExpected must follow the TextureFormat enum");
static_assert(std::size(kExpected) ==
                  static_cast<std::size_t>(TextureFormat::Depth24PlusStencil8) + 1,
              "kExpected must cover every TextureFormat");
static_assert(std::size(kExpected) >= 26);

TEST(FormatTest, HasEveryFormatInEnumOrder) {
  const auto formats = all_formats();
  ASSERT_GE(formats.size(), 26u);
  ASSERT_EQ(formats.size(), std::size(kExpected));
  for (std::size_t i = 0; i < formats.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(formats[i].format), i) << formats[i].name;
    EXPECT_EQ(&format_info(formats[i].format), &formats[i]);
  }
}

TEST(FormatTest, MatchesVulkanAndGlHeaders) {
  for (const Expected& want : kExpected) {
    const FormatInfo& info = format_info(want.format);
    SCOPED_TRACE(std::string(info.name));
    EXPECT_EQ(info.format, want.format);
    EXPECT_EQ(info.vk_format, static_cast<std::uint32_t>(want.vk));
    EXPECT_EQ(info.gl_internal_format, static_cast<std::uint32_t>(want.gl));
    EXPECT_EQ(info.texel_size, want.texel_size);
    EXPECT_EQ(info.kind, want.kind);
    EXPECT_EQ(info.srgb, want.srgb);
    EXPECT_EQ(info.bgra, want.bgra);
    EXPECT_EQ(info.storage_capable, want.storage);
  }
}

TEST(FormatTest, FactsAreConsistent) {
  std::set<std::string> names;
  std::set<std::uint32_t> vk_formats;
  for (const FormatInfo& info : all_formats()) {
    SCOPED_TRACE(std::string(info.name));
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << "duplicate name";
    EXPECT_TRUE(vk_formats.insert(info.vk_format).second) << "duplicate VkFormat";
    EXPECT_GE(info.channels, 1u);
    EXPECT_LE(info.channels, 4u);
    EXPECT_GT(info.texel_size, 0u);
    // Nothing that is sRGB or depth can be a storage image.
    if (info.srgb || info.kind != FormatKind::Color) {
      EXPECT_FALSE(info.storage_capable);
    }
    if (info.kind == FormatKind::DepthStencil) {
      EXPECT_EQ(info.channels, 2u);
    }
    if (info.kind == FormatKind::Depth) {
      EXPECT_EQ(info.channels, 1u);
    }
  }
  EXPECT_EQ(format_info(F::Rgba8Unorm).channels, 4u);
  EXPECT_EQ(format_info(F::Rg8Unorm).channels, 2u);
  EXPECT_EQ(format_info(F::Rg11b10Float).channels, 3u);
}

TEST(FormatTest, ToStringAndParseRoundTrip) {
  for (const FormatInfo& info : all_formats()) {
    EXPECT_EQ(to_string(info.format), info.name);
    EXPECT_EQ(parse_format(info.name), info.format) << info.name;
    std::string lower(info.name);
    std::string upper(info.name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(parse_format(lower), info.format) << lower;
    EXPECT_EQ(parse_format(upper), info.format) << upper;
  }
  EXPECT_EQ(to_string(F::Rgba8Unorm), "Rgba8Unorm");
  EXPECT_EQ(parse_format("rgba8unorm"), F::Rgba8Unorm);
  EXPECT_EQ(parse_format("BGRA8SRGB"), F::Bgra8Srgb);
}

TEST(FormatTest, ParseRejectsUnknownNames) {
  EXPECT_EQ(parse_format(""), std::nullopt);
  EXPECT_EQ(parse_format("rgba8"), std::nullopt);
  EXPECT_EQ(parse_format("Rgba8Unorm "), std::nullopt);
  EXPECT_EQ(parse_format("Rgba8UnormX"), std::nullopt);
  EXPECT_EQ(parse_format("VK_FORMAT_R8G8B8A8_UNORM"), std::nullopt);
}

TEST(FormatTest, FromVkFindsEveryFormat) {
  for (const Expected& want : kExpected) {
    EXPECT_EQ(format_from_vk(static_cast<std::uint32_t>(want.vk)), want.format)
        << to_string(want.format);
  }
  EXPECT_EQ(format_from_vk(VK_FORMAT_UNDEFINED), std::nullopt);
  EXPECT_EQ(format_from_vk(VK_FORMAT_R8G8B8_UNORM), std::nullopt);
  EXPECT_EQ(format_from_vk(VK_FORMAT_BC1_RGB_UNORM_BLOCK), std::nullopt);
}

TEST(FormatDeathTest, FormatInfoAbortsOnValueOutsideTheEnum) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto bogus = static_cast<TextureFormat>(all_formats().size() + 7);
  EXPECT_DEATH((void)format_info(bogus), "not a known format");
  EXPECT_EQ(to_string(bogus), "Unknown");
}

}  // namespace
}  // namespace geyser
