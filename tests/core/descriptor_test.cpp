#include <string>

#include <gtest/gtest.h>

#include "geyser/device_identity.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"
#include "geyser/texture_share_manager.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace geyser {
namespace {

using U = TextureUsage;

// Expects `desc` to fail validation with Validation and a message holding every `parts`.
void expect_invalid(const TextureDescriptor& desc, std::initializer_list<std::string> parts) {
  const auto result = validate(desc);
  ASSERT_FALSE(result.has_value()) << describe(desc) << " was accepted";
  EXPECT_EQ(result.error().code(), ErrorCode::Validation);
  for (const std::string& part : parts) {
    EXPECT_NE(result.error().message().find(part), std::string::npos)
        << "message \"" << result.error().message() << "\" lacks \"" << part << "\"";
  }
}

TEST(DescriptorTest, DefaultIsValid) {
  const TextureDescriptor desc;
  EXPECT_TRUE(validate(desc).has_value());
  EXPECT_EQ(desc.width, 1u);
  EXPECT_EQ(desc.format, TextureFormat::Rgba8Unorm);
  EXPECT_TRUE(
      has_all(desc.usage, U::Sampled | U::ColorAttachment | U::TransferSrc | U::TransferDst));
}

TEST(DescriptorTest, AcceptsTheLimits) {
  TextureDescriptor desc;
  desc.width = kMaxTextureDimension;
  desc.height = kMaxTextureDimension;
  desc.mip_levels = 16;  // 32768 = 2^15: levels 32768 .. 1
  desc.array_layers = 2048;
  const auto result = validate(desc);
  EXPECT_TRUE(result.has_value()) << result.error().to_string();
}

TEST(DescriptorTest, RejectsZeroWidth) {
  TextureDescriptor desc;
  desc.width = 0;
  expect_invalid(desc, {"TextureDescriptor: width 0 is out of range 1..32768"});
}

TEST(DescriptorTest, RejectsWidthAboveTheMaximum) {
  TextureDescriptor desc;
  desc.width = kMaxTextureDimension + 1;
  expect_invalid(desc, {"width 32769", "1..32768"});
}

TEST(DescriptorTest, RejectsZeroHeight) {
  TextureDescriptor desc;
  desc.height = 0;
  expect_invalid(desc, {"height 0"});
}

TEST(DescriptorTest, RejectsMoreMipLevelsThanTheChainHas) {
  TextureDescriptor desc;
  desc.width = 256;
  desc.height = 64;
  desc.mip_levels = 9;  // 256 -> 1 is 9 levels
  EXPECT_TRUE(validate(desc).has_value());
  desc.mip_levels = 10;
  expect_invalid(desc, {"mip_levels 10", "1..9", "256x64"});
  desc.mip_levels = 0;
  expect_invalid(desc, {"mip_levels 0"});
}

TEST(DescriptorTest, RejectsZeroLayers) {
  TextureDescriptor desc;
  desc.array_layers = 0;
  expect_invalid(desc, {"array_layers 0", "1..2048"});
  desc.array_layers = 2049;
  expect_invalid(desc, {"array_layers 2049"});
}

TEST(DescriptorTest, RejectsEmptyUsage) {
  TextureDescriptor desc;
  desc.usage = U::None;
  expect_invalid(desc, {"usage", "empty"});
}

TEST(DescriptorTest, RejectsUnknownUsageBits) {
  TextureDescriptor desc;
  desc.usage = U::Sampled | static_cast<U>(1u << 9);
  expect_invalid(desc, {"usage", "0x200"});
}

TEST(DescriptorTest, RejectsUnknownFormat) {
  TextureDescriptor desc;
  desc.format = static_cast<TextureFormat>(999);
  expect_invalid(desc, {"format 999"});
}

TEST(DescriptorTest, RejectsColorAttachmentOnDepth) {
  TextureDescriptor desc;
  desc.format = TextureFormat::Depth32Float;
  desc.usage = U::Sampled | U::ColorAttachment;
  expect_invalid(desc, {"ColorAttachment", "Depth32Float"});
  desc.usage = U::Sampled | U::DepthStencilAttachment | U::TransferSrc;
  EXPECT_TRUE(validate(desc).has_value());
}

TEST(DescriptorTest, RejectsDepthAttachmentOnColor) {
  TextureDescriptor desc;
  desc.format = TextureFormat::Rgba8Unorm;
  desc.usage = U::Sampled | U::DepthStencilAttachment;
  expect_invalid(desc, {"DepthStencilAttachment", "Rgba8Unorm"});
}

TEST(DescriptorTest, RejectsStorageOnSrgb) {
  TextureDescriptor desc;
  desc.format = TextureFormat::Rgba8Srgb;
  desc.usage = U::Storage | U::Sampled;
  expect_invalid(desc, {"Storage", "Rgba8Srgb"});
  desc.format = TextureFormat::Rgba8Unorm;
  EXPECT_TRUE(validate(desc).has_value());
}

TEST(DescriptorTest, RejectsStorageOnDepth) {
  TextureDescriptor desc;
  desc.format = TextureFormat::Depth24PlusStencil8;
  desc.usage = U::Storage;
  expect_invalid(desc, {"Storage", "Depth24PlusStencil8"});
}

TEST(DescriptorTest, EveryFormatAcceptsAUsageItCanHave) {
  for (const FormatInfo& info : all_formats()) {
    TextureDescriptor desc;
    desc.format = info.format;
    desc.usage = U::Sampled | U::TransferSrc | U::TransferDst |
                 (info.kind == FormatKind::Color ? U::ColorAttachment : U::DepthStencilAttachment);
    const auto result = validate(desc);
    EXPECT_TRUE(result.has_value()) << info.name << ": " << result.error().to_string();
  }
}

TEST(DescriptorTest, TightSize) {
  TextureDescriptor desc;
  desc.width = 1920;
  desc.height = 1080;
  EXPECT_EQ(tight_size_bytes(desc), 1920u * 1080u * 4u);
  desc.format = TextureFormat::Rgba32Float;
  EXPECT_EQ(tight_size_bytes(desc), 1920u * 1080u * 16u);
  desc.width = kMaxTextureDimension;
  desc.height = kMaxTextureDimension;
  EXPECT_EQ(tight_size_bytes(desc), std::uint64_t{32768} * 32768 * 16);  // over 4 GiB
  desc.format = TextureFormat::R8Unorm;
  desc.mip_levels = 4;  // mip 0 only
  EXPECT_EQ(tight_size_bytes(desc), std::uint64_t{32768} * 32768);
}

TEST(DescriptorTest, Describe) {
  TextureDescriptor desc;
  desc.width = 1920;
  desc.height = 1080;
  EXPECT_EQ(describe(desc), "1920x1080 Rgba8Unorm");
  desc.format = TextureFormat::Depth32Float;
  EXPECT_EQ(describe(desc).rfind("1920x1080 Depth32Float", 0), 0u);
}

TEST(UsageTest, NamesFlagsInBitOrder) {
  EXPECT_EQ(to_string(U::TransferSrc), "TransferSrc");
  EXPECT_EQ(to_string(U::DepthStencilAttachment), "DepthStencilAttachment");
  const auto names = usage_names(U::ColorAttachment | U::TransferSrc | U::Sampled);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "TransferSrc");
  EXPECT_EQ(names[1], "Sampled");
  EXPECT_EQ(names[2], "ColorAttachment");
  EXPECT_TRUE(usage_names(U::None).empty());
  EXPECT_EQ(usage_names(U::Storage | U::TransferDst | U::DepthStencilAttachment).size(), 3u);
}

TEST(DeviceIdentityTest, UuidToString) {
  const Uuid mesa = {0x6d, 0x65, 0x73, 0x61, 0x32, 0x32, 0x2e, 0x33,
                     0x2e, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(to_string(mesa), "6d657361-3232-2e33-2e36-000000000000");
  Uuid all{};
  all.fill(0xAB);
  EXPECT_EQ(to_string(all), "abababab-abab-abab-abab-abababababab");
  EXPECT_FALSE(is_zero(mesa));
  EXPECT_TRUE(is_zero(Uuid{}));
}

TEST(DeviceIdentityTest, UnknownIdentityNeverMatches) {
  const Uuid a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const DeviceIdentity known{a, a};
  const DeviceIdentity unknown{};
  EXPECT_TRUE(known.known());
  EXPECT_TRUE(known.compatible_with(known));
  EXPECT_FALSE(unknown.known());
  EXPECT_FALSE(unknown.compatible_with(unknown));
  EXPECT_FALSE(known.compatible_with(unknown));
}

TEST(ShareHandleTest, Names) {
  EXPECT_EQ(to_string(MemoryHandleType::OpaqueFd), "opaque_fd");
  EXPECT_EQ(to_string(MemoryHandleType::OpaqueWin32), "opaque_win32");
  EXPECT_EQ(to_string(SemaphoreType::Binary), "binary");
  EXPECT_EQ(to_string(SemaphoreType::Timeline), "timeline");
  EXPECT_EQ(to_string(Backend::Vulkan), "vulkan");
  EXPECT_EQ(to_string(Backend::OpenGL), "opengl");
  EXPECT_EQ(to_string(Backend::Cuda), "cuda");
}

TEST(ShareHandleTest, CloneDuplicatesTheFdAndCopiesTheRest) {
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  TextureShareHandle handle;
  handle.os_handle = UniqueFd(fds[0]);
  handle.identity.driver_uuid[0] = 7;
  handle.descriptor.width = 640;
  handle.image.vk_format = 37;
  handle.image.allocation_size = 1 << 20;
  const auto copy = handle.clone();
  ASSERT_TRUE(copy.has_value()) << copy.error().to_string();
  EXPECT_TRUE(copy->os_handle.valid());
  EXPECT_NE(copy->os_handle.get(), handle.os_handle.get());
  EXPECT_EQ(copy->identity, handle.identity);
  EXPECT_EQ(copy->descriptor, handle.descriptor);
  EXPECT_EQ(copy->image, handle.image);
  EXPECT_EQ(copy->handle_type, handle.handle_type);

  SemaphoreShareHandle semaphore;
  semaphore.type = SemaphoreType::Binary;
  auto empty_clone = semaphore.clone();
  ASSERT_FALSE(empty_clone.has_value());
  EXPECT_EQ(empty_clone.error().code(), ErrorCode::Validation);
  semaphore.os_handle = std::move(handle.os_handle);
  const auto semaphore_copy = semaphore.clone();
  ASSERT_TRUE(semaphore_copy.has_value());
  EXPECT_EQ(semaphore_copy->type, SemaphoreType::Binary);
  EXPECT_TRUE(semaphore_copy->os_handle.valid());
}

// The smallest manager: only the default release_texture_handle is under test.
class NullManager final : public TextureShareManager {
 public:
  Backend backend() const noexcept override { return Backend::Vulkan; }
  const DeviceIdentity& identity() const noexcept override { return identity_; }
  Result<std::unique_ptr<SharedTexture>> create_shareable_texture(
      const TextureDescriptor&) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }
  Result<TextureShareHandle> export_texture(const SharedTexture&) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }
  Result<std::unique_ptr<SharedTexture>> import_texture(const TextureShareHandle&) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }
  Result<std::unique_ptr<SharedSemaphore>> create_shared_semaphore(SemaphoreType) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }
  Result<SemaphoreShareHandle> export_semaphore(const SharedSemaphore&) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }
  Result<std::unique_ptr<SharedSemaphore>> import_semaphore(const SemaphoreShareHandle&) override {
    return fail(ErrorCode::Unsupported, "NullManager");
  }

 private:
  DeviceIdentity identity_;
};

TEST(ShareHandleTest, DefaultReleaseClosesTheFd) {
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  TextureShareHandle handle;
  handle.os_handle = UniqueFd(fds[0]);
  NullManager manager;
  manager.release_texture_handle(std::move(handle));
  EXPECT_FALSE(handle.os_handle.valid());  // NOLINT(bugprone-use-after-move): release empties it
  EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
}

}  // namespace
}  // namespace geyser
