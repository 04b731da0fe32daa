// The identity rule and the checks an import makes before any CUDA call. No driver needed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "geyser/cuda/identity.hpp"
#include "import_checks.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::cuda {
namespace {

using geyser::test::FailsWith;

Uuid uuid(std::uint8_t first) {
  Uuid out{};
  out.fill(0x11);
  out[0] = first;
  return out;
}

DeviceInfo h200() {
  DeviceInfo info;
  info.ordinal = 0;
  info.name = "NVIDIA H200";
  info.uuid = uuid(0xd0);
  return info;
}

DeviceIdentity vulkan_identity(std::uint8_t device_first) {
  DeviceIdentity identity;
  identity.driver_uuid = uuid(0xa0);
  identity.device_uuid = uuid(device_first);
  return identity;
}

TEST(CudaIdentity, AHandleOfTheSameDeviceUuidMatches) {
  EXPECT_TRUE(check_identity(h200(), vulkan_identity(0xd0)));
}

TEST(CudaIdentity, TheDriverUuidIsNotCompared) {
  DeviceIdentity identity = vulkan_identity(0xd0);
  identity.driver_uuid = uuid(0xee);
  EXPECT_TRUE(check_identity(h200(), identity));
}

TEST(CudaIdentity, AnotherDeviceIsRefusedNamingBothUuids) {
  const auto checked = check_identity(h200(), vulkan_identity(0xd1));
  ASSERT_TRUE(FailsWith(checked, ErrorCode::DeviceMismatch));
  const std::string& message = checked.error().message();
  EXPECT_NE(message.find(to_string(uuid(0xd1))), std::string::npos) << message;
  EXPECT_NE(message.find(to_string(uuid(0xd0))), std::string::npos) << message;
  EXPECT_NE(message.find("NVIDIA H200"), std::string::npos) << message;
}

TEST(CudaIdentity, AnUnknownUuidNeverMatches) {
  DeviceIdentity unknown;
  EXPECT_TRUE(FailsWith(check_identity(h200(), unknown), ErrorCode::DeviceMismatch));
  DeviceInfo no_uuid = h200();
  no_uuid.uuid = Uuid{};
  EXPECT_TRUE(FailsWith(check_identity(no_uuid, unknown), ErrorCode::DeviceMismatch));
}

TEST(CudaIdentity, TheHelloIdentityIsTheVulkanDeviceOfTheSameGpu) {
  const std::vector<DeviceIdentity> vulkan = {vulkan_identity(0x01), vulkan_identity(0xd0)};
  const auto identity = identity_for(h200(), vulkan);
  ASSERT_TRUE(geyser::test::Succeeds(identity));
  EXPECT_EQ(*identity, vulkan[1]);
  EXPECT_TRUE(identity->compatible_with(vulkan[1]));
}

TEST(CudaIdentity, NoVulkanDeviceOfTheGpuIsUnsupportedNamingTheUuid) {
  const std::vector<DeviceIdentity> vulkan = {vulkan_identity(0x01)};
  const auto identity = identity_for(h200(), vulkan);
  ASSERT_TRUE(FailsWith(identity, ErrorCode::Unsupported));
  EXPECT_NE(identity.error().message().find(to_string(uuid(0xd0))), std::string::npos);
  EXPECT_TRUE(FailsWith(identity_for(h200(), {}), ErrorCode::Unsupported));
}

// ---------------------------------------------------------------------------------------
// The handle checks.

TextureShareHandle handle(const TextureDescriptor& desc = {1920, 1080}) {
  TextureShareHandle h;
  h.identity = vulkan_identity(0xd0);
  h.descriptor = desc;
  h.image.vk_format = format_info(desc.format).vk_format;
  h.image.tiling = detail::kTilingOptimal;
  h.image.allocation_size = 1920ull * 1080 * 4 + 65536;
  h.image.dedicated = true;
  return h;
}

TEST(CudaImportChecks, AGeyserExportPasses) {
  EXPECT_TRUE(detail::check_memory_handle(handle(), detail::kTilingOptimal));
}

TEST(CudaImportChecks, ANonDedicatedAllocationIsRefused) {
  TextureShareHandle h = handle();
  h.image.dedicated = false;
  const auto checked = detail::check_memory_handle(h, detail::kTilingOptimal);
  ASSERT_TRUE(FailsWith(checked, ErrorCode::Validation));
  EXPECT_NE(checked.error().message().find("dedicated"), std::string::npos);
}

TEST(CudaImportChecks, TheWrongTilingFormatOrSizeIsRefused) {
  EXPECT_TRUE(FailsWith(detail::check_memory_handle(handle(), detail::kTilingLinear),
                        ErrorCode::Validation));
  TextureShareHandle wrong_format = handle();
  wrong_format.image.vk_format = format_info(TextureFormat::Bgra8Unorm).vk_format;
  EXPECT_TRUE(FailsWith(detail::check_memory_handle(wrong_format, detail::kTilingOptimal),
                        ErrorCode::Validation));
  TextureShareHandle empty = handle();
  empty.image.allocation_size = 0;
  EXPECT_TRUE(
      FailsWith(detail::check_memory_handle(empty, detail::kTilingOptimal), ErrorCode::Validation));
  TextureShareHandle win32 = handle();
  win32.handle_type = MemoryHandleType::OpaqueWin32;
  EXPECT_TRUE(FailsWith(detail::check_memory_handle(win32, detail::kTilingOptimal),
                        ErrorCode::Unsupported));
}

TEST(CudaImportChecks, TheArrayHasTheTextureExtentFormatAndFlags) {
  TextureDescriptor desc{640, 480, TextureFormat::Rgba16Float};
  desc.usage = TextureUsage::Sampled | TextureUsage::TransferDst;
  auto plain = detail::mipmapped_array_desc(handle(desc));
  ASSERT_TRUE(geyser::test::Succeeds(plain));
  EXPECT_EQ(plain->arrayDesc.Width, 640u);
  EXPECT_EQ(plain->arrayDesc.Height, 480u);
  EXPECT_EQ(plain->arrayDesc.Depth, 0u);
  EXPECT_EQ(plain->arrayDesc.Format, CU_AD_FORMAT_HALF);
  EXPECT_EQ(plain->arrayDesc.NumChannels, 4u);
  EXPECT_EQ(plain->arrayDesc.Flags, static_cast<unsigned>(CUDA_ARRAY3D_SURFACE_LDST));
  EXPECT_EQ(plain->numLevels, 1u);
  EXPECT_EQ(plain->offset, 0u);

  desc.usage |= TextureUsage::ColorAttachment;
  desc.array_layers = 3;
  auto layered = detail::mipmapped_array_desc(handle(desc));
  ASSERT_TRUE(geyser::test::Succeeds(layered));
  EXPECT_EQ(layered->arrayDesc.Depth, 3u);
  EXPECT_EQ(layered->arrayDesc.Flags,
            static_cast<unsigned>(CUDA_ARRAY3D_SURFACE_LDST | CUDA_ARRAY3D_COLOR_ATTACHMENT |
                                  CUDA_ARRAY3D_LAYERED));

  EXPECT_TRUE(FailsWith(
      detail::mipmapped_array_desc(handle(TextureDescriptor{64, 64, TextureFormat::Rgb10a2Unorm})),
      ErrorCode::Unsupported));
}

TEST(CudaImportChecks, LinearRowsMustFitTheirPitchAndTheAllocation) {
  TextureShareHandle h = handle();
  h.image.tiling = detail::kTilingLinear;
  h.image.allocation_size = 2048ull * 1080;
  auto fits = detail::buffer_desc(h, 2048, 0);
  EXPECT_TRUE(FailsWith(fits, ErrorCode::Validation));  // 2048 < a row of 7680 bytes
  h.image.allocation_size = 7936ull * 1080;
  auto exact = detail::buffer_desc(h, 7936, 0);
  ASSERT_TRUE(geyser::test::Succeeds(exact));
  EXPECT_EQ(exact->size, 7936ull * 1080);
  EXPECT_EQ(exact->offset, 0u);
  EXPECT_TRUE(FailsWith(detail::buffer_desc(h, 7936, 1), ErrorCode::Validation));
  EXPECT_TRUE(
      FailsWith(detail::buffer_desc(h, 7936, h.image.allocation_size + 1), ErrorCode::Validation));
}

}  // namespace
}  // namespace geyser::cuda
