// Linear shared textures (Tiling::Linear, the slots of a linear stream): rows at a pitch from
// offset 0, exported with that pitch, imported only with the same one, pixels intact.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "geyser/format.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/test_descriptors.hpp"

namespace geyser::test {
namespace {

class LinearTest : public OneDeviceTest {
 protected:
  // A linear texture of `desc`, or a skip when the device cannot export one.
  std::unique_ptr<vulkan::VulkanSharedTexture> make(const TextureDescriptor& desc) {
    auto texture = manager().create(desc, Tiling::Linear);
    if (!texture && texture.error().code() == ErrorCode::Unsupported) {
      skip_reason_ = device().name() + " cannot share a linear " + describe(desc) +
                     " image: " + texture.error().to_string();
      return nullptr;
    }
    EXPECT_TRUE(Succeeds(texture));
    return texture ? std::move(*texture) : nullptr;
  }
  std::string skip_reason_;
};

#define MAKE_LINEAR_OR_SKIP(var, desc)                             \
  auto var = make(desc);                                           \
  if (!var && !skip_reason_.empty()) GTEST_SKIP() << skip_reason_; \
  ASSERT_NE(var, nullptr)

TEST_F(LinearTest, ExportCarriesTheRowPitchAndTheImportReadsTheSamePixels) {
  for (const TextureFormat format :
       {TextureFormat::Rgba8Unorm, TextureFormat::Rgba16Float, TextureFormat::R8Unorm}) {
    SCOPED_TRACE(to_string(format));
    const TextureDescriptor desc = texture_desc(format, 333, 77);
    MAKE_LINEAR_OR_SKIP(texture, desc);
    EXPECT_EQ(texture->tiling(), Tiling::Linear);
    const std::uint32_t texel = format_info(format).texel_size;
    EXPECT_GE(texture->row_pitch(), desc.width * texel);
    EXPECT_EQ(texture->row_pitch() % texel, 0u);
    ASSERT_TRUE(Succeeds(write_pattern(*texture, 4)));

    auto handle = manager().export_texture(*texture);
    ASSERT_TRUE(Succeeds(handle));
    EXPECT_EQ(handle->image.tiling, kVkTilingLinear);
    EXPECT_EQ(handle->row_pitch, texture->row_pitch());
    auto imported = manager().import(*handle);
    ASSERT_TRUE(Succeeds(imported));
    EXPECT_EQ((*imported)->tiling(), Tiling::Linear);
    EXPECT_EQ((*imported)->row_pitch(), texture->row_pitch());
    EXPECT_TRUE(HasPattern(**imported, 4));
  }
}

TEST_F(LinearTest, OptimalTexturesHaveNoRowPitch) {
  auto texture = manager().create(texture_desc(TextureFormat::Rgba8Unorm, 64, 64));
  ASSERT_TRUE(Succeeds(texture));
  EXPECT_EQ((*texture)->tiling(), Tiling::Optimal);
  EXPECT_EQ((*texture)->row_pitch(), 0u);
  auto handle = manager().export_texture(**texture);
  ASSERT_TRUE(Succeeds(handle));
  EXPECT_EQ(handle->row_pitch, 0u);
  // An optimal image with a row pitch claims a layout nobody knows: refused before the fd.
  handle->row_pitch = 256;
  auto refused = manager().import(*handle);
  ASSERT_TRUE(FailsWith(refused, ErrorCode::Validation));
  EXPECT_NE(refused.error().message().find("row pitch 256"), std::string::npos)
      << refused.error().to_string();
}

TEST_F(LinearTest, ARowPitchOtherThanTheDevicesIsUnsupported) {
  const TextureDescriptor desc = texture_desc(TextureFormat::Rgba8Unorm, 333, 77);
  MAKE_LINEAR_OR_SKIP(texture, desc);
  auto handle = manager().export_texture(*texture);
  ASSERT_TRUE(Succeeds(handle));
  handle->row_pitch = texture->row_pitch() + 4;
  auto refused = manager().import(*handle);
  ASSERT_TRUE(FailsWith(refused, ErrorCode::Unsupported));
  EXPECT_NE(refused.error().message().find(std::to_string(texture->row_pitch() + 4)),
            std::string::npos)
      << refused.error().to_string();
}

TEST_F(LinearTest, MipsOrLayersAreValidation) {
  TextureDescriptor mips = texture_desc(TextureFormat::Rgba8Unorm, 64, 64);
  mips.mip_levels = 2;
  EXPECT_TRUE(FailsWith(manager().create(mips, Tiling::Linear), ErrorCode::Validation));
  TextureDescriptor layers = texture_desc(TextureFormat::Rgba8Unorm, 64, 64);
  layers.array_layers = 2;
  EXPECT_TRUE(FailsWith(manager().create(layers, Tiling::Linear), ErrorCode::Validation));
}

}  // namespace
}  // namespace geyser::test
