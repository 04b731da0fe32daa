// A texture made on one device (its own VkInstance) and imported on another in the same
// process: the test pattern goes both ways, for every exportable colour format and for
// several RGBA8 sizes.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "geyser/format.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::test {
namespace {

class CrossDeviceFormatTest : public TwoDeviceTest,
                              public testing::WithParamInterface<TextureFormat> {};

TEST_P(CrossDeviceFormatTest, PatternSurvivesBothDirections) {
  const TextureFormat format = GetParam();
  const vulkan::FormatCapability a = manager(0).query_format(format);
  const vulkan::FormatCapability b = manager(1).query_format(format);
  if (!a.exportable || !a.importable || !b.importable) {
    GTEST_SKIP() << to_string(format) << " cannot be shared as an opaque fd on " << device(0).name()
                 << " (exportable " << a.exportable << ", importable " << a.importable << ")";
  }
  const TextureUsage transfer = TextureUsage::TransferSrc | TextureUsage::TransferDst;
  if (!has_all(a.usages, transfer) || !has_all(b.usages, transfer)) {
    GTEST_SKIP() << to_string(format) << " is shareable but not with transfer usages on "
                 << device(0).name() << ", which the pattern check needs";
  }
  TextureDescriptor desc;
  desc.width = 67;  // odd sizes catch row-pitch mistakes
  desc.height = 33;
  desc.format = format;
  desc.usage = transfer;
  if (has_all(a.usages, TextureUsage::Sampled) && has_all(b.usages, TextureUsage::Sampled)) {
    desc.usage |= TextureUsage::Sampled;
  }
  EXPECT_TRUE(RoundTrip(manager(0), manager(1), desc, 5));
  EXPECT_TRUE(RoundTrip(manager(1), manager(0), desc, 41));
}

INSTANTIATE_TEST_SUITE_P(EveryColourFormat, CrossDeviceFormatTest,
                         testing::ValuesIn(colour_formats()), FormatName{});

struct Extent {
  std::uint32_t width;
  std::uint32_t height;
};

class CrossDeviceSizeTest : public TwoDeviceTest, public testing::WithParamInterface<Extent> {};

TEST_P(CrossDeviceSizeTest, Rgba8PatternSurvivesBothDirections) {
  TextureDescriptor desc;
  desc.width = GetParam().width;
  desc.height = GetParam().height;
  desc.format = TextureFormat::Rgba8Unorm;
  EXPECT_TRUE(RoundTrip(manager(0), manager(1), desc, 1));
}

INSTANTIATE_TEST_SUITE_P(Rgba8, CrossDeviceSizeTest,
                         testing::Values(Extent{1, 1}, Extent{257, 131}, Extent{1920, 1080},
                                         Extent{3840, 2160}),
                         [](const testing::TestParamInfo<Extent>& param_info) {
                           return std::to_string(param_info.param.width) + "x" +
                                  std::to_string(param_info.param.height);
                         });

using CrossDeviceTest = TwoDeviceTest;

TEST_F(CrossDeviceTest, DevicesHaveTheirOwnInstancesAndTheSameIdentity) {
  EXPECT_NE(device(0).instance(), device(1).instance());
  EXPECT_NE(device(0).device(), device(1).device());
  EXPECT_TRUE(device(0).identity().known()) << to_string(device(0).identity().device_uuid);
  EXPECT_TRUE(manager(0).identity().compatible_with(manager(1).identity()));
}

TEST_F(CrossDeviceTest, ExportedHandleDescribesTheTexture) {
  TextureDescriptor desc;
  desc.width = 257;
  desc.height = 131;
  auto texture = manager(0).create(desc);
  ASSERT_TRUE(texture) << texture.error().to_string();
  auto handle = manager(0).export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_TRUE(handle->os_handle.valid());
  EXPECT_EQ(handle->handle_type, MemoryHandleType::OpaqueFd);
  EXPECT_EQ(handle->identity, manager(0).identity());
  EXPECT_EQ(handle->descriptor, desc);
  EXPECT_EQ(handle->image, (*texture)->image_info());
  EXPECT_EQ(handle->image.vk_format, format_info(desc.format).vk_format);
  EXPECT_TRUE(handle->image.dedicated);
  EXPECT_GE(handle->image.allocation_size, tight_size_bytes(desc));
}

TEST_F(CrossDeviceTest, EachExportIsAnIndependentHandle) {
  TextureDescriptor desc;
  desc.width = 64;
  desc.height = 64;
  auto texture = manager(0).create(desc);
  ASSERT_TRUE(texture) << texture.error().to_string();
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 9)));
  auto first = manager(0).export_texture(**texture);
  auto second = manager(0).export_texture(**texture);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_NE(first->os_handle.get(), second->os_handle.get());
  manager(0).release_texture_handle(std::move(*first));
  auto imported = manager(1).import(*second);
  ASSERT_TRUE(imported) << imported.error().to_string();
  EXPECT_TRUE(HasPattern(**imported, 9));
}

TEST_F(CrossDeviceTest, ImportedTextureOutlivesTheOriginalAndTheHandle) {
  TextureDescriptor desc;
  desc.width = 129;
  desc.height = 65;
  auto texture = manager(0).create(desc);
  ASSERT_TRUE(texture) << texture.error().to_string();
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 77)));
  auto handle = manager(0).export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto imported = manager(1).import(*handle);
  ASSERT_TRUE(imported) << imported.error().to_string();
  manager(0).release_texture_handle(std::move(*handle));
  texture->reset();
  EXPECT_TRUE(HasPattern(**imported, 77));
  ASSERT_TRUE(Succeeds(write_pattern(**imported, 78)));
  EXPECT_TRUE(HasPattern(**imported, 78));
}

TEST_F(CrossDeviceTest, OneHandleImportsTwice) {
  TextureDescriptor desc;
  desc.width = 32;
  desc.height = 16;
  auto texture = manager(0).create(desc);
  ASSERT_TRUE(texture) << texture.error().to_string();
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 3)));
  auto handle = manager(0).export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto first = manager(1).import(*handle);
  auto second = manager(1).import(*handle);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_TRUE(handle->os_handle.valid()) << "import must not consume the handle's fd";
  ASSERT_TRUE(Succeeds(write_pattern(**first, 4)));
  EXPECT_TRUE(HasPattern(**second, 4));
  EXPECT_TRUE(HasPattern(**texture, 4));
}

TEST_F(CrossDeviceTest, TypeErasedInterfaceRoundTrip) {
  TextureShareManager& producer = manager(0);
  TextureShareManager& consumer = manager(1);
  TextureDescriptor desc;
  desc.width = 16;
  desc.height = 16;
  auto texture = producer.create_shareable_texture(desc);
  ASSERT_TRUE(texture) << texture.error().to_string();
  EXPECT_EQ((*texture)->backend(), Backend::Vulkan);
  EXPECT_FALSE((*texture)->imported());
  vulkan::VulkanSharedTexture* vk_texture = vulkan::as_vulkan(texture->get());
  ASSERT_NE(vk_texture, nullptr);
  ASSERT_TRUE(Succeeds(write_pattern(*vk_texture, 12)));
  auto handle = producer.export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto imported = consumer.import_texture(*handle);
  ASSERT_TRUE(imported) << imported.error().to_string();
  EXPECT_TRUE((*imported)->imported());
  EXPECT_EQ((*imported)->descriptor(), desc);
  vulkan::VulkanSharedTexture* vk_imported = vulkan::as_vulkan(imported->get());
  ASSERT_NE(vk_imported, nullptr);
  EXPECT_EQ(vk_imported->shared_layout(), static_cast<VkImageLayout>(kSharedImageLayout));
  EXPECT_TRUE(HasPattern(*vk_imported, 12));
}

}  // namespace
}  // namespace geyser::test
