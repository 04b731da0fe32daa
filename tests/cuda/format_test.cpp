// TextureFormat to CUDA array formats. No driver needed.
#include <gtest/gtest.h>

#include <cstdint>

#include "geyser/cuda/format.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::cuda {
namespace {

using geyser::test::FailsWith;

std::uint32_t element_bytes(CUarray_format format) {
  switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8: return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF: return 2;
    case CU_AD_FORMAT_UNSIGNED_INT32:
    case CU_AD_FORMAT_SIGNED_INT32:
    case CU_AD_FORMAT_FLOAT: return 4;
    default: return 0;
  }
}

TEST(CudaFormat, Rgba8FormatsAreFourUnsignedBytes) {
  for (TextureFormat format :
       {TextureFormat::Rgba8Unorm, TextureFormat::Bgra8Unorm, TextureFormat::Rgba8Srgb,
        TextureFormat::Bgra8Srgb, TextureFormat::Rgba8Uint}) {
    const auto mapped = array_format(format);
    ASSERT_TRUE(mapped) << to_string(format);
    EXPECT_EQ(*mapped, (ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT8, 4})) << to_string(format);
  }
  EXPECT_EQ(*array_format(TextureFormat::Rgba8Snorm), (ArrayFormat{CU_AD_FORMAT_SIGNED_INT8, 4}));
  EXPECT_EQ(*array_format(TextureFormat::Rgba16Float), (ArrayFormat{CU_AD_FORMAT_HALF, 4}));
  EXPECT_EQ(*array_format(TextureFormat::R32Float), (ArrayFormat{CU_AD_FORMAT_FLOAT, 1}));
  EXPECT_EQ(*array_format(TextureFormat::Rg16Unorm), (ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT16, 2}));
}

// Surface loads see the bytes Vulkan wrote only when the element is the texel.
TEST(CudaFormat, EveryMappedFormatHasTheTexelSizeAndChannelsOfItsVulkanFormat) {
  for (const FormatInfo& info : all_formats()) {
    const auto mapped = array_format(info.format);
    if (!mapped) continue;
    EXPECT_EQ(element_bytes(mapped->format) * mapped->channels, info.texel_size) << info.name;
    EXPECT_EQ(mapped->channels, info.channels) << info.name;
  }
}

TEST(CudaFormat, DepthAndPackedFormatsAreUnsupportedByName) {
  for (TextureFormat format : {TextureFormat::Depth16Unorm, TextureFormat::Depth32Float,
                               TextureFormat::Depth24Plus, TextureFormat::Depth24PlusStencil8,
                               TextureFormat::Rgb10a2Unorm, TextureFormat::Rg11b10Float}) {
    const auto mapped = array_format(format);
    ASSERT_TRUE(FailsWith(mapped, ErrorCode::Unsupported)) << to_string(format);
    EXPECT_NE(mapped.error().message().find(std::string(to_string(format))), std::string::npos)
        << mapped.error().message();
  }
}

TEST(CudaFormat, EveryColourFormatOfOneToFourPlainComponentsIsMapped) {
  std::size_t mapped = 0;
  for (const FormatInfo& info : all_formats()) {
    if (array_format(info.format)) ++mapped;
  }
  EXPECT_EQ(mapped, all_formats().size() - 6);  // all but the four depth and two packed ones
}

}  // namespace
}  // namespace geyser::cuda
