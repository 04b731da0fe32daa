// Bad input to create, export and import: each case fails with its own error code, leaks no
// fd, and leaves the manager working (checked in TearDown for every test).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/process_stats.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/test_descriptors.hpp"
// Internal: the opaque-fd memory service, whose fd checks are tested directly with memfds
// made here (no device needed for those).
#include "../../src/vulkan/external_memory/service.hpp"

namespace geyser::test {
namespace {

// A texture and one exported handle of it.
struct Exported {
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  TextureShareHandle handle;
};

// "0x1f".
std::string hex(std::uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", value);
  return buf;
}

// Passes when `result` failed with `code` and its message contains each of `words` (the
// field and the value it refused).
template <typename T>
testing::AssertionResult FailsNaming(const Result<T>& result, ErrorCode code,
                                     std::initializer_list<std::string_view> words) {
  testing::AssertionResult failed = FailsWith(result, code);
  if (!failed) return failed;
  for (const std::string_view word : words) {
    if (result.error().message().find(word) == std::string::npos) {
      return testing::AssertionFailure()
             << "the error does not name \"" << word << "\": " << result.error().to_string();
    }
  }
  return testing::AssertionSuccess() << result.error().to_string();
}

// A memfd of `size` bytes, created with `flags` and then sealed with `seals` (0: none).
UniqueFd make_memfd(std::size_t size, unsigned flags, int seals) {
  UniqueFd fd(memfd_create("geyser-bad-input", MFD_CLOEXEC | flags));
  if (!fd) return fd;
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return UniqueFd();
  if (seals != 0 && fcntl(fd.get(), F_ADD_SEALS, seals) != 0) return UniqueFd();
  return fd;
}

// A new memfd holding the same bytes as the regular file `fd` (for lavapipe, its header
// too, so that the driver would take it), sealed with `seals` (0: none).
UniqueFd copy_memfd(int fd, int seals) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return UniqueFd();
  std::vector<char> bytes(static_cast<std::size_t>(st.st_size));
  if (pread(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    return UniqueFd();
  }
  UniqueFd copy = make_memfd(0, MFD_ALLOW_SEALING, 0);
  if (!copy ||
      write(copy.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    return UniqueFd();
  }
  if (seals != 0 && fcntl(copy.get(), F_ADD_SEALS, seals) != 0) return UniqueFd();
  return copy;
}

int access_mode(int fd) {
  return fcntl(fd, F_GETFL) & O_ACCMODE;
}

const vulkan::detail::ExternalMemoryService& opaque_fd_service() {
  return vulkan::detail::opaque_fd_memory_service();
}

class BadInputTest : public TwoDeviceTest {
 protected:
  void SetUp() override {
    TwoDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fd_baseline_ = open_fd_count();
    fds_before_ = describe_open_fds();
    checked_ = true;
  }

  // Every test: back to the fd baseline, and the managers still share textures.
  void TearDown() override {
    if (!checked_) return;
    EXPECT_EQ(open_fd_count(), fd_baseline_)
        << "open fds before the test: " << fds_before_ << "\nafter: " << describe_open_fds();
    EXPECT_TRUE(RoundTrip(manager(0), manager(1), rgba8(16, 16), 200))
        << "the managers must keep working after bad input";
    EXPECT_TRUE(RoundTrip(manager(1), manager(0), rgba8(16, 16), 210))
        << "the managers must keep working after bad input";
    EXPECT_EQ(open_fd_count(), fd_baseline_) << "after the round trips: " << describe_open_fds();
  }

  // Exports `desc` from manager(0); import it on importer().
  static void Export(const TextureDescriptor& desc, Exported* out) {
    auto texture = manager(0).create(desc);
    ASSERT_TRUE(texture) << texture.error().to_string();
    auto handle = manager(0).export_texture(**texture);
    ASSERT_TRUE(handle) << handle.error().to_string();
    out->texture = std::move(texture).value();
    out->handle = std::move(handle).value();
  }
  static vulkan::VulkanTextureShareManager& importer() { return manager(1); }

  std::size_t fd_baseline_ = 0;
  std::string fds_before_;
  bool checked_ = false;
};

// --- the fd -------------------------------------------------------------------------------

TEST_F(BadInputTest, ImportEmptyFdIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.os_handle.reset();
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportClosedFdIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  // A number far above the ones in use, so that nothing the library opens meanwhile gets it.
  UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(null_fd.valid());
  int closed = fcntl(null_fd.get(), F_DUPFD_CLOEXEC, 900);
  if (closed < 0) closed = null_fd.release();
  close(closed);
  e.handle.os_handle.reset(closed);
  auto imported = importer().import(e.handle);
  (void)e.handle.os_handle.release();  // not ours to close
  EXPECT_TRUE(FailsWith(imported, ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportRegularFileIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/geyser-bad-input-XXXXXX";
  UniqueFd file(mkostemp(path.data(), O_CLOEXEC));
  ASSERT_TRUE(file.valid()) << "mkostemp " << path;
  unlink(path.c_str());
  // Big enough for the image, with the test pattern in it: only its kind is wrong.
  ASSERT_EQ(ftruncate(file.get(), static_cast<off_t>(e.handle.image.allocation_size)), 0);
  const auto bytes = pattern_bytes(e.handle.descriptor, 1);
  ASSERT_EQ(write(file.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  e.handle.os_handle = std::move(file);
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportPipeIsValidationWithoutReadingIt) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  int ends[2] = {-1, -1};
  ASSERT_EQ(pipe2(ends, O_CLOEXEC), 0);
  e.handle.os_handle.reset(ends[0]);
  // The write end stays open during the import, so a driver that read() the fd would block.
  // The watchdog closes it after a while so that such a bug fails the test instead of
  // hanging it.
  std::atomic<bool> done{false};
  std::atomic<bool> blocked{false};
  std::thread watchdog([&done, &blocked, write_end = UniqueFd(ends[1])]() mutable {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!done) blocked = true;
    write_end.reset();
  });
  auto imported = importer().import(e.handle);
  done = true;
  watchdog.join();
  EXPECT_FALSE(blocked) << "import blocked for 20 s on a pipe: the driver was given it";
  EXPECT_TRUE(FailsWith(imported, ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportMemfdTooSmallIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(256, 256), &e));
  UniqueFd memfd(memfd_create("geyser-bad-input-small", MFD_CLOEXEC));
  ASSERT_TRUE(memfd.valid());
  ASSERT_EQ(ftruncate(memfd.get(), 4096), 0);
  ASSERT_LT(4096u, e.handle.image.allocation_size);
  e.handle.os_handle = std::move(memfd);
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

// --- sizes in the handle --------------------------------------------------------------------

TEST_F(BadInputTest, ImportAllocationSmallerThanTheImageIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(256, 256), &e));
  e.handle.image.allocation_size = 4096;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  e.handle.image.allocation_size = 0;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportAllocationLargerThanTheFdIsValidation) {
  // The handle claims more memory than the fd holds: importing would map past its end.
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  struct stat st {};
  ASSERT_EQ(fstat(e.handle.os_handle.get(), &st), 0);
  if (!S_ISREG(st.st_mode)) {
    GTEST_SKIP() << device(0).name()
                 << " exports fds that are not regular files: their size is the driver's to check";
  }
  e.handle.image.allocation_size *= 64;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportMemoryTypeOutOfRangeIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.image.memory_type_index = VK_MAX_MEMORY_TYPES + 5;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportZeroExtentIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.descriptor.width = 0;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  e.handle.descriptor.width = 64;
  e.handle.descriptor.height = 0;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportZeroMipLevelsOrLayersIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.descriptor.mip_levels = 0;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  e.handle.descriptor.mip_levels = 1;
  e.handle.descriptor.array_layers = 0;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportHugeExtentIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.descriptor.width = 1u << 20;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  e.handle.descriptor.width = 64;
  e.handle.descriptor.height = 1u << 20;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportLargeExtentOnSmallMemoryIsValidation) {
  // 16384 x 16384 is within the device's limits, but the handle's memory holds 64 x 64.
  if (device(1).properties().limits.maxImageDimension2D < 16384) {
    GTEST_SKIP() << device(1).name() << " allows only "
                 << device(1).properties().limits.maxImageDimension2D << " texels a side";
  }
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.descriptor.width = 16384;
  e.handle.descriptor.height = 16384;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportBeyondTheDeviceLimitFails) {
  const std::uint32_t limit = device(1).properties().limits.maxImageDimension2D;
  if (limit >= kMaxTextureDimension) {
    GTEST_SKIP() << device(1).name() << " allows " << limit
                 << " texels a side, Geyser's own limit is lower";
  }
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.descriptor.width = limit + 1;
  e.handle.descriptor.height = 1;
  auto imported = importer().import(e.handle);
  ASSERT_FALSE(imported) << "imported a " << limit + 1 << "-wide texture on a device limited to "
                         << limit;
  EXPECT_TRUE(imported.error().code() == ErrorCode::Validation ||
              imported.error().code() == ErrorCode::Unsupported)
      << imported.error().to_string();
}

// --- identity ------------------------------------------------------------------------------

TEST_F(BadInputTest, ImportWithAnotherDriverUuidIsDeviceMismatch) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.identity.driver_uuid[0] ^= 0xff;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::DeviceMismatch));
}

TEST_F(BadInputTest, ImportWithAnotherDeviceUuidIsDeviceMismatch) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.identity.device_uuid[15] ^= 0x01;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::DeviceMismatch));
}

TEST_F(BadInputTest, ImportWithZeroUuidsIsDeviceMismatch) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.identity = DeviceIdentity{};
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::DeviceMismatch));
  // One zero UUID is as unknown as two.
  e.handle.identity = manager(0).identity();
  e.handle.identity.driver_uuid = Uuid{};
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::DeviceMismatch));
}

TEST_F(BadInputTest, IdentityIsCheckedBeforeTheFd) {
  // docs/architecture.md, rule 1: DeviceMismatch before touching the fd, even when the fd is bad
  // too.
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.identity.device_uuid[3] ^= 0x10;
  e.handle.os_handle.reset();
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::DeviceMismatch));
}

// --- formats and usages --------------------------------------------------------------------

TEST_F(BadInputTest, ImportDepthFormatWithColourUsageIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  // Descriptor and VkFormat agree on a depth format; the usages are colour ones.
  e.handle.descriptor.format = TextureFormat::Depth32Float;
  e.handle.image.vk_format = format_info(TextureFormat::Depth32Float).vk_format;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  // Geyser usages valid for depth, but the Vulkan usage still says colour attachment.
  e.handle.descriptor.usage =
      TextureUsage::Sampled | TextureUsage::TransferSrc | TextureUsage::TransferDst;
  e.handle.image.usage |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportVkFormatDisagreeingWithTheDescriptorIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  ASSERT_EQ(e.handle.image.vk_format, static_cast<std::uint32_t>(VK_FORMAT_R8G8B8A8_UNORM));
  e.handle.image.vk_format = VK_FORMAT_B8G8R8A8_UNORM;
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
  e.handle.image.vk_format = VK_FORMAT_R32G32B32A32_SFLOAT;  // a different texel size, too
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportUnknownFormatIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  // A value off the end of the enum, as a corrupt or newer peer might send.
  e.handle.descriptor.format = static_cast<TextureFormat>(0x7fff);
  EXPECT_TRUE(FailsWith(importer().import(e.handle), ErrorCode::Validation));
}

TEST_F(BadInputTest, ImportOtherHandleTypeFails) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  e.handle.handle_type = MemoryHandleType::OpaqueWin32;
  auto imported = importer().import(e.handle);
  ASSERT_FALSE(imported) << "imported an opaque fd labelled as a Win32 handle";
  EXPECT_TRUE(imported.error().code() == ErrorCode::Unsupported ||
              imported.error().code() == ErrorCode::Validation)
      << imported.error().to_string();
}

TEST_F(BadInputTest, CreateWithAUsageTheFormatCannotHaveIsValidation) {
  struct Case {
    TextureFormat format;
    TextureUsage usage;
  };
  const Case cases[] = {
      {TextureFormat::Depth32Float, TextureUsage::ColorAttachment | TextureUsage::TransferSrc},
      {TextureFormat::Depth16Unorm, TextureUsage::Storage},
      {TextureFormat::Rgba8Unorm, TextureUsage::DepthStencilAttachment},
      {TextureFormat::Rgba8Srgb, TextureUsage::Storage | TextureUsage::TransferDst},
      {TextureFormat::Rgba8Unorm, TextureUsage::None},
  };
  for (const Case& c : cases) {
    TextureDescriptor desc = rgba8(64, 64);
    desc.format = c.format;
    desc.usage = c.usage;
    EXPECT_TRUE(FailsWith(manager(0).create(desc), ErrorCode::Validation))
        << describe(desc) << " usage 0x" << std::hex << static_cast<std::uint32_t>(c.usage);
  }
}

TEST_F(BadInputTest, CreateWhatTheDeviceCannotExportIsUnsupported) {
  // Ask Vulkan itself which (format, single usage) pairs this device cannot export as an
  // opaque fd, among those Geyser's device-independent rules allow. (lavapipe: depth.)
  const VkPhysicalDevice physical_device = device(0).physical_device();
  int found = 0;
  for (const FormatInfo& format_facts : all_formats()) {
    const TextureFormat format = format_facts.format;
    for (const TextureUsage usage : kAllUsages) {
      TextureDescriptor desc = rgba8(16, 16);
      desc.format = format;
      desc.usage = usage;
      if (!validate(desc)) continue;
      VkPhysicalDeviceExternalImageFormatInfo external{};
      external.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO;
      external.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
      VkPhysicalDeviceImageFormatInfo2 info{};
      info.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2;
      info.pNext = &external;
      info.format = static_cast<VkFormat>(format_info(format).vk_format);
      info.type = VK_IMAGE_TYPE_2D;
      info.tiling = VK_IMAGE_TILING_OPTIMAL;
      info.usage = vulkan::to_vk_usage(usage);
      VkExternalImageFormatProperties external_properties{};
      external_properties.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES;
      VkImageFormatProperties2 properties{};
      properties.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2;
      properties.pNext = &external_properties;
      const VkResult result =
          vkGetPhysicalDeviceImageFormatProperties2(physical_device, &info, &properties);
      const bool exportable = result == VK_SUCCESS &&
                              (external_properties.externalMemoryProperties.externalMemoryFeatures &
                               VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0;
      if (exportable) continue;
      ++found;
      SCOPED_TRACE(describe(desc) + " usage " + std::string(to_string(usage)));
      EXPECT_TRUE(FailsWith(manager(0).create(desc), ErrorCode::Unsupported));
      EXPECT_FALSE(has_all(manager(0).query_format(format).usages, usage))
          << "query_format claims a usage that Vulkan says cannot be exported";
    }
  }
  if (found == 0) {
    GTEST_SKIP() << device(0).name() << " can export every format with every usage Geyser allows";
  }
}

// --- extents on create ---------------------------------------------------------------------

TEST_F(BadInputTest, CreateZeroExtentIsValidation) {
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(0, 64)), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(64, 0)), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(0, 0)), ErrorCode::Validation));
}

TEST_F(BadInputTest, CreateHugeExtentIsValidation) {
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(1u << 20, 1)), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(1, 1u << 20)), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(manager(0).create(rgba8(1u << 20, 1u << 20)), ErrorCode::Validation));
}

TEST_F(BadInputTest, CreateBeyondTheDeviceLimitFails) {
  const std::uint32_t limit = device(0).properties().limits.maxImageDimension2D;
  if (limit >= kMaxTextureDimension) {
    GTEST_SKIP() << device(0).name() << " allows " << limit
                 << " texels a side, Geyser's own limit is lower";
  }
  auto created = manager(0).create(rgba8(limit + 1, 1));
  ASSERT_FALSE(created) << "created a " << limit + 1 << "-wide texture on a device limited to "
                        << limit;
  EXPECT_TRUE(created.error().code() == ErrorCode::Validation ||
              created.error().code() == ErrorCode::Unsupported)
      << created.error().to_string();
}

TEST_F(BadInputTest, Create16384SquareSucceedsOrRunsOutOfMemory) {
  if (device(0).properties().limits.maxImageDimension2D < 16384) {
    GTEST_SKIP() << device(0).name() << " allows only "
                 << device(0).properties().limits.maxImageDimension2D << " texels a side";
  }
  // R8 keeps this at 256 MiB; RGBA8 (1 GiB) only if R8 cannot be shared.
  TextureDescriptor desc = rgba8(16384, 16384);
  desc.usage = TextureUsage::TransferSrc | TextureUsage::TransferDst;
  if (has_all(manager(0).query_format(TextureFormat::R8Unorm).usages, desc.usage)) {
    desc.format = TextureFormat::R8Unorm;
  }
  const auto acceptable = [](const Error& error) {
    return error.code() == ErrorCode::OutOfMemory || error.code() == ErrorCode::Unsupported;
  };
  auto created = manager(0).create(desc);
  std::printf("create %s: %s\n", describe(desc).c_str(), describe_result(created).c_str());
  if (!created) {
    EXPECT_TRUE(acceptable(created.error())) << created.error().to_string();
    return;
  }
  auto handle = manager(0).export_texture(**created);
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_GE(handle->image.allocation_size, tight_size_bytes(desc));
  auto imported = importer().import(*handle);
  std::printf("import %s: %s\n", describe(desc).c_str(), describe_result(imported).c_str());
  if (!imported) {
    EXPECT_TRUE(acceptable(imported.error())) << imported.error().to_string();
    return;
  }
  EXPECT_EQ((*imported)->descriptor(), desc);
}

// --- VulkanImageInfo: only what Geyser itself creates (docs/architecture.md, rule 3) --------

// Imports `handle` as it is and again with no fd: both must be Validation naming `words`.
// The second shows that the field is refused before the fd is looked at (an empty fd is a
// Validation of its own, with another message).
void ExpectRefusedBeforeTheFd(vulkan::VulkanTextureShareManager& importer,
                              const TextureShareHandle& handle,
                              std::initializer_list<std::string_view> words) {
  EXPECT_TRUE(FailsNaming(importer.import(handle), ErrorCode::Validation, words));
  auto without_fd = handle.clone();
  ASSERT_TRUE(without_fd) << without_fd.error().to_string();
  without_fd->os_handle.reset();
  EXPECT_TRUE(FailsNaming(importer.import(*without_fd), ErrorCode::Validation, words))
      << "with no fd in the handle";
}

TEST_F(BadInputTest, ImportCreateFlagsGeyserDoesNotSetIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  ASSERT_EQ(e.handle.image.create_flags, 0u) << "Geyser creates shared images with no flags";
  // MUTABLE_FORMAT is one lavapipe can create, so the import would go through with an image
  // the exporter never made; SPARSE_BINDING and PROTECTED need features Geyser never
  // enables; 0x80000000 is no flag at all (the validation layer reports it if it reaches
  // vkGetPhysicalDeviceImageFormatProperties2).
  for (const std::uint32_t flags : {std::uint32_t{VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT},
                                    std::uint32_t{VK_IMAGE_CREATE_SPARSE_BINDING_BIT},
                                    std::uint32_t{VK_IMAGE_CREATE_PROTECTED_BIT}, 0x80000000u}) {
    SCOPED_TRACE("create_flags " + hex(flags));
    e.handle.image.create_flags = flags;
    ExpectRefusedBeforeTheFd(importer(), e.handle, {"create_flags", hex(flags)});
  }
}

TEST_F(BadInputTest, ImportUsageBitsGeyserDoesNotSetIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  const std::uint32_t exported = e.handle.image.usage;
  ASSERT_EQ(exported, vulkan::to_vk_usage(e.handle.descriptor.usage));
  // Bits no TextureUsage maps to: INPUT_ATTACHMENT (lavapipe would create it), TRANSIENT
  // (invalid with transfer usage, VUID-VkImageCreateInfo-usage-00963), and no bit at all.
  for (const std::uint32_t extra :
       {std::uint32_t{VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT},
        std::uint32_t{VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT}, 0x40000000u}) {
    SCOPED_TRACE("usage | " + hex(extra));
    e.handle.image.usage = exported | extra;
    ExpectRefusedBeforeTheFd(importer(), e.handle, {"usage", hex(extra)});
  }
  // A bit Geyser does set, but not for this descriptor: the image would be recreated with a
  // usage (storage) the exporter did not give it.
  ASSERT_FALSE(has_all(e.handle.descriptor.usage, TextureUsage::Storage));
  e.handle.image.usage = exported | VK_IMAGE_USAGE_STORAGE_BIT;
  ExpectRefusedBeforeTheFd(importer(), e.handle, {"usage", hex(e.handle.image.usage)});
}

TEST_F(BadInputTest, ImportTilingGeyserDoesNotUseIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  ASSERT_EQ(e.handle.image.tiling, static_cast<std::uint32_t>(VK_IMAGE_TILING_OPTIMAL));
  // LINEAR is shared too, but only with the row pitch the exporter laid it out with: an
  // optimal export relabelled LINEAR carries none (row pitch 0) and is refused.
  for (const std::uint32_t tiling : {std::uint32_t{VK_IMAGE_TILING_LINEAR},
                                     std::uint32_t{VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT}, 7u}) {
    SCOPED_TRACE("tiling " + std::to_string(tiling));
    e.handle.image.tiling = tiling;
    ExpectRefusedBeforeTheFd(importer(), e.handle, {"tiling", std::to_string(tiling)});
  }
}

TEST_F(BadInputTest, ImportVkFormatOtherThanTheFormatTablesNamesIt) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  for (const std::uint32_t vk_format :
       {std::uint32_t{VK_FORMAT_B8G8R8A8_UNORM}, std::uint32_t{VK_FORMAT_UNDEFINED}, 0x7fffffffu}) {
    SCOPED_TRACE("vk_format " + std::to_string(vk_format));
    e.handle.image.vk_format = vk_format;
    ExpectRefusedBeforeTheFd(importer(), e.handle, {"vk_format", std::to_string(vk_format)});
  }
}

// --- memfd seals and access modes ------------------------------------------------------------

TEST(OpaqueFdMemoryServiceTest, CheckHandleRequiresAMemfdSealedAgainstShrinking) {
  constexpr std::size_t kSize = 65536;
  // Without F_SEAL_SHRINK the sender could ftruncate the memfd after the import, and the
  // receiver's mapping (lavapipe maps it) would SIGBUS on its next access.
  struct Case {
    const char* name;
    UniqueFd fd;
  };
  std::vector<Case> refused;
  refused.push_back({"a memfd that cannot be sealed", make_memfd(kSize, 0, 0)});
  refused.push_back({"a sealable memfd with no seals", make_memfd(kSize, MFD_ALLOW_SEALING, 0)});
  refused.push_back({"a memfd sealed against growing only",
                     make_memfd(kSize, MFD_ALLOW_SEALING, F_SEAL_GROW | F_SEAL_SEAL)});
  for (const Case& c : refused) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.fd.valid());
    EXPECT_TRUE(FailsNaming(opaque_fd_service().check_handle(c.fd.get(), kSize),
                            ErrorCode::Validation, {"F_SEAL_SHRINK"}));
  }
  // Sealed against shrinking and large enough: the check passes, with or without more seals.
  UniqueFd shrink_only = make_memfd(kSize, MFD_ALLOW_SEALING, F_SEAL_SHRINK);
  ASSERT_TRUE(shrink_only.valid());
  EXPECT_TRUE(Succeeds(opaque_fd_service().check_handle(shrink_only.get(), kSize)));
  EXPECT_TRUE(Succeeds(opaque_fd_service().check_handle(shrink_only.get(), kSize - 4096)));
  UniqueFd all = make_memfd(kSize, MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  ASSERT_TRUE(all.valid());
  EXPECT_TRUE(Succeeds(opaque_fd_service().check_handle(all.get(), kSize)));
  // Sealed but too small is still refused.
  EXPECT_TRUE(
      FailsWith(opaque_fd_service().check_handle(all.get(), kSize + 1), ErrorCode::Validation));
  // Device files (NVIDIA's memory fds) have no seals and no size; the driver checks them.
  // /dev/ptmx stands for one (a character device of major 5).
  UniqueFd device_file(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (device_file.valid()) {
    EXPECT_TRUE(Succeeds(opaque_fd_service().check_handle(device_file.get(), kSize)));
  }
  // The kernel's memory devices (major 1) are never a memory handle: refused before any
  // driver sees them (NVIDIA would answer /dev/null with OUT_OF_DEVICE_MEMORY).
  for (const char* path : {"/dev/null", "/dev/zero"}) {
    UniqueFd memory_device(open(path, O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(memory_device.valid()) << path;
    EXPECT_TRUE(FailsWith(opaque_fd_service().check_handle(memory_device.get(), kSize),
                          ErrorCode::Validation))
        << path;
  }
}

TEST(OpaqueFdMemoryServiceTest, DuplicateForImportKeepsTheAccessMode) {
  UniqueFd memfd = make_memfd(65536, MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW);
  ASSERT_TRUE(memfd.valid());
  ASSERT_EQ(access_mode(memfd.get()), O_RDWR);
  {
    auto dup = opaque_fd_service().duplicate_for_import(memfd);
    ASSERT_TRUE(Succeeds(dup));
    EXPECT_EQ(access_mode(dup->get()), O_RDWR);
    // Its own file offset (why memfds are reopened rather than dup()ed).
    ASSERT_EQ(lseek(memfd.get(), 100, SEEK_SET), 100);
    EXPECT_EQ(lseek(dup->get(), 0, SEEK_CUR), 0);
  }
  // A read-only fd stays read-only: reopening it O_RDWR through /proc would let the
  // receiver's driver write memory the sender shared for reading.
  UniqueFd read_only(
      open(("/proc/self/fd/" + std::to_string(memfd.get())).c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(read_only.valid());
  ASSERT_EQ(access_mode(read_only.get()), O_RDONLY);
  {
    auto dup = opaque_fd_service().duplicate_for_import(read_only);
    ASSERT_TRUE(Succeeds(dup));
    EXPECT_EQ(access_mode(dup->get()), O_RDONLY) << "the reopened fd gained write access";
    const char byte = 1;
    EXPECT_EQ(write(dup->get(), &byte, 1), -1) << "wrote through a read-only fd's duplicate";
  }
  // An O_PATH fd grants no access at all; its duplicate must not gain any either.
  UniqueFd path_only(
      open(("/proc/self/fd/" + std::to_string(memfd.get())).c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path_only.valid());
  {
    auto dup = opaque_fd_service().duplicate_for_import(path_only);
    if (dup) {
      EXPECT_NE(fcntl(dup->get(), F_GETFL) & O_PATH, 0) << "the O_PATH fd gained access";
    }
  }
  // Device files are duplicated, never reopened; they keep their mode too.
  UniqueFd write_only(open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(write_only.valid());
  auto dup = opaque_fd_service().duplicate_for_import(write_only);
  ASSERT_TRUE(Succeeds(dup));
  EXPECT_EQ(access_mode(dup->get()), O_WRONLY);
}

TEST(OpaqueFdMemoryServiceTest, ExportSealsAMemfdAgainstResizing) {
  constexpr std::size_t kSize = 65536;
  // A sealable memfd the driver left unsealed: export seals it.
  UniqueFd unsealed = make_memfd(kSize, MFD_ALLOW_SEALING, 0);
  ASSERT_TRUE(unsealed.valid());
  EXPECT_TRUE(Succeeds(vulkan::detail::seal_exported_memfd(unsealed.get())));
  const int seals = fcntl(unsealed.get(), F_GET_SEALS);
  EXPECT_NE(seals & F_SEAL_SHRINK, 0) << "seals " << hex(static_cast<std::uint32_t>(seals));
  EXPECT_NE(seals & F_SEAL_GROW, 0) << "seals " << hex(static_cast<std::uint32_t>(seals));
  EXPECT_NE(ftruncate(unsealed.get(), 4096), 0) << "the sealed memfd could still shrink";
  EXPECT_NE(ftruncate(unsealed.get(), 2 * kSize), 0) << "the sealed memfd could still grow";
  EXPECT_TRUE(Succeeds(opaque_fd_service().check_handle(unsealed.get(), kSize)))
      << "a receiver refuses what the sender sealed";
  // Already sealed (lavapipe seals its own: Mesa's os_malloc_aligned_fd adds SHRINK, GROW
  // and SEAL): nothing to add, and a second export of it succeeds too.
  UniqueFd sealed = make_memfd(kSize, MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  ASSERT_TRUE(sealed.valid());
  EXPECT_TRUE(Succeeds(vulkan::detail::seal_exported_memfd(sealed.get())));
  EXPECT_TRUE(Succeeds(vulkan::detail::seal_exported_memfd(sealed.get())));
  // A memfd that cannot be sealed (made without MFD_ALLOW_SEALING) would be refused by every
  // receiver: export says so instead of sending it.
  UniqueFd unsealable = make_memfd(kSize, 0, 0);
  ASSERT_TRUE(unsealable.valid());
  EXPECT_TRUE(FailsNaming(vulkan::detail::seal_exported_memfd(unsealable.get()),
                          ErrorCode::Unsupported, {"F_ADD_SEALS"}));
  // Device files (NVIDIA) are left alone.
  UniqueFd device_file(open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(device_file.valid());
  EXPECT_TRUE(Succeeds(vulkan::detail::seal_exported_memfd(device_file.get())));
}

TEST_F(BadInputTest, ImportUnsealedMemfdIsValidation) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  struct stat st {};
  ASSERT_EQ(fstat(e.handle.os_handle.get(), &st), 0);
  if (!S_ISREG(st.st_mode)) {
    GTEST_SKIP() << device(0).name() << " exports fds that are not memfds: nothing to seal";
  }
  // The exported memory's own bytes (lavapipe's header too, so the driver would take it) in
  // a memfd whose sender could still truncate it under the receiver's mapping.
  for (const int seals : {0, F_SEAL_GROW, F_SEAL_WRITE}) {
    SCOPED_TRACE("seals " + hex(static_cast<std::uint32_t>(seals)));
    UniqueFd copy = copy_memfd(e.handle.os_handle.get(), seals);
    ASSERT_TRUE(copy.valid());
    TextureShareHandle forged;
    forged.os_handle = std::move(copy);
    forged.handle_type = e.handle.handle_type;
    forged.identity = e.handle.identity;
    forged.descriptor = e.handle.descriptor;
    forged.image = e.handle.image;
    EXPECT_TRUE(FailsNaming(importer().import(forged), ErrorCode::Validation, {"F_SEAL_SHRINK"}));
  }
}

TEST_F(BadInputTest, ExportedMemfdIsSealedAndStillImports) {
  Exported e;
  ASSERT_NO_FATAL_FAILURE(Export(rgba8(64, 64), &e));
  ASSERT_TRUE(Succeeds(write_pattern(*e.texture, 7)));
  struct stat st {};
  ASSERT_EQ(fstat(e.handle.os_handle.get(), &st), 0);
  if (S_ISREG(st.st_mode)) {
    const int seals = fcntl(e.handle.os_handle.get(), F_GET_SEALS);
    ASSERT_GE(seals, 0);
    ASSERT_NE(seals & F_SEAL_SHRINK, 0) << "exported memfd seals " << hex(seals);
    EXPECT_NE(seals & F_SEAL_GROW, 0) << "exported memfd seals " << hex(seals);
    // Sealed, so this cannot take the memory away from under the texture.
    const int truncated = ftruncate(e.handle.os_handle.get(), 0);
    const int err = errno;
    EXPECT_NE(truncated, 0);
    EXPECT_EQ(err, EPERM);
    // A sealed copy of the memory passes the receiver's checks and imports.
    UniqueFd copy = copy_memfd(e.handle.os_handle.get(), F_SEAL_SHRINK | F_SEAL_GROW);
    ASSERT_TRUE(copy.valid());
    TextureShareHandle sealed_copy;
    sealed_copy.os_handle = std::move(copy);
    sealed_copy.handle_type = e.handle.handle_type;
    sealed_copy.identity = e.handle.identity;
    sealed_copy.descriptor = e.handle.descriptor;
    sealed_copy.image = e.handle.image;
    auto imported = importer().import(sealed_copy);
    ASSERT_TRUE(Succeeds(imported));
    EXPECT_TRUE(HasPattern(**imported, 7));
  }
  // The real handle across devices, both ways.
  auto imported = importer().import(e.handle);
  ASSERT_TRUE(Succeeds(imported));
  EXPECT_TRUE(HasPattern(**imported, 7));
  ASSERT_TRUE(Succeeds(write_pattern(**imported, 8)));
  EXPECT_TRUE(HasPattern(*e.texture, 8));
}

// --- export --------------------------------------------------------------------------------

TEST_F(BadInputTest, ExportTextureOfAnotherManagerIsValidation) {
  auto texture = manager(0).create(rgba8(64, 64));
  ASSERT_TRUE(texture) << texture.error().to_string();
  EXPECT_TRUE(FailsWith(manager(1).export_texture(**texture), ErrorCode::Validation));
  // The same for a texture that manager(1) imported: manager(0) did not make it.
  auto handle = manager(0).export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto imported = manager(1).import(*handle);
  ASSERT_TRUE(imported) << imported.error().to_string();
  EXPECT_TRUE(FailsWith(manager(0).export_texture(**imported), ErrorCode::Validation));
}

// A texture of another backend, as an OpenGL or CUDA manager would make.
class ForeignTexture final : public SharedTexture {
 public:
  [[nodiscard]] Backend backend() const noexcept override { return Backend::OpenGL; }
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept override { return desc_; }
  [[nodiscard]] bool imported() const noexcept override { return false; }

 private:
  TextureDescriptor desc_;
};

TEST_F(BadInputTest, ExportTextureOfAnotherBackendIsValidation) {
  ForeignTexture foreign;
  EXPECT_EQ(vulkan::as_vulkan(&foreign), nullptr);
  EXPECT_TRUE(FailsWith(manager(0).export_texture(foreign), ErrorCode::Validation));
}

}  // namespace
}  // namespace geyser::test
