// Vulkan textures and timeline semaphores imported into CUDA, checked by the pattern
// kernel. Needs a CUDA driver and a Vulkan device of the same GPU (skipped otherwise).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cuda_fixture.hpp"
#include "geyser/cuda/pattern_check.hpp"
#include "geyser/cuda/semaphore.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/cuda/texture.hpp"
#include "geyser/vulkan/semaphore.hpp"

namespace geyser::cuda::test {
namespace {

using geyser::test::FailsWith;
using geyser::test::pattern_bytes;
using geyser::test::Succeeds;

class CudaImport : public CudaVulkanTest {
 protected:
  // A Vulkan texture holding frame `frame` of the pattern, and its export.
  struct Export {
    std::unique_ptr<vulkan::VulkanSharedTexture> texture;
    TextureShareHandle handle;
  };
  Export make_export(const TextureDescriptor& desc, std::uint64_t frame) {
    vulkan::VulkanTextureShareManager manager(device());
    auto texture = manager.create(desc);
    EXPECT_TRUE(Succeeds(texture));
    if (!texture) return {};
    EXPECT_TRUE(Succeeds(vulkan::upload(**texture, pattern_bytes(desc, frame))));
    auto handle = manager.export_texture(**texture);
    EXPECT_TRUE(Succeeds(handle));
    if (!handle) return {};
    return Export{std::move(texture).value(), std::move(handle).value()};
  }
};

class CudaImportFormats : public CudaImport, public testing::WithParamInterface<TextureFormat> {};

TEST_P(CudaImportFormats, EveryTexelOfAVulkanTextureReadsBackInCuda) {
  const TextureDescriptor desc{1920, 1080, GetParam()};
  Export exported = make_export(desc, 7);
  ASSERT_TRUE(exported.texture);
  auto imported = ImportedArray::import(context(), exported.handle);
  ASSERT_TRUE(Succeeds(imported));
  EXPECT_NE(imported->array(), nullptr);
  EXPECT_NE(imported->surface(), 0u);
  auto checker = PatternChecker::create(context());
  ASSERT_TRUE(Succeeds(checker));
  auto stream = Stream::create(context());
  ASSERT_TRUE(Succeeds(stream));

  const auto same = checker->check(*imported, 7, stream->get());
  ASSERT_TRUE(Succeeds(same));
  EXPECT_TRUE(same->ok()) << same->to_string();
  // Another frame's pattern differs in every texel (B = f mod 256 everywhere): the kernel
  // really looks.
  const auto other = checker->check(*imported, 8, stream->get());
  ASSERT_TRUE(Succeeds(other));
  EXPECT_EQ(other->mismatched_texels, std::uint64_t{desc.width} * desc.height);
  EXPECT_EQ(other->first_x, 0u);
  EXPECT_EQ(other->first_y, 0u);
}

INSTANTIATE_TEST_SUITE_P(Formats, CudaImportFormats,
                         testing::Values(TextureFormat::Rgba8Unorm, TextureFormat::Bgra8Unorm,
                                         TextureFormat::R8Unorm, TextureFormat::Rgba16Unorm,
                                         TextureFormat::Rgba32Float),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST_F(CudaImport, AHandleOfAnotherDeviceIsRefusedBeforeItsFdIsUsed) {
  Export exported = make_export(TextureDescriptor{64, 64}, 1);
  ASSERT_TRUE(exported.texture);
  exported.handle.identity.device_uuid[15] ^= 0x5a;
  const std::size_t fds = geyser::test::open_fd_count();
  const auto imported = ImportedArray::import(context(), exported.handle);
  ASSERT_TRUE(FailsWith(imported, ErrorCode::DeviceMismatch));
  const std::string& message = imported.error().message();
  EXPECT_NE(message.find(to_string(exported.handle.identity.device_uuid)), std::string::npos)
      << message;
  EXPECT_NE(message.find(to_string(context().info().uuid)), std::string::npos) << message;
  EXPECT_EQ(geyser::test::open_fd_count(), fds);
}

TEST_F(CudaImport, RepeatedImportsLeaveNoDescriptorBehind) {
  Export exported = make_export(TextureDescriptor{256, 256}, 3);
  ASSERT_TRUE(exported.texture);
  { auto warm_up = ImportedArray::import(context(), exported.handle); }
  const std::size_t fds = geyser::test::open_fd_count();
  for (int i = 0; i < 50; ++i) {
    auto imported = ImportedArray::import(context(), exported.handle);
    ASSERT_TRUE(Succeeds(imported)) << "import " << i;
  }
  EXPECT_EQ(geyser::test::open_fd_count(), fds) << geyser::test::describe_open_fds();
}

TEST_F(CudaImport, ALinearImportOfAnOptimalImageIsRefused) {
  Export exported = make_export(TextureDescriptor{64, 64}, 1);
  ASSERT_TRUE(exported.texture);
  EXPECT_TRUE(
      FailsWith(ImportedBuffer::import(context(), exported.handle, 256), ErrorCode::Validation));
}

TEST_F(CudaImport, ATimelineSignalledInCudaIsSeenByVulkanAndBack) {
  vulkan::VulkanTextureShareManager manager(device());
  if (!manager.query_semaphore(SemaphoreType::Timeline).exportable) {
    GTEST_SKIP() << device().name() << " exports no timeline semaphores";
  }
  auto semaphore = manager.create_vk_semaphore(SemaphoreType::Timeline);
  ASSERT_TRUE(Succeeds(semaphore));
  auto handle = manager.export_semaphore(**semaphore);
  ASSERT_TRUE(Succeeds(handle));
  auto imported = TimelineSemaphore::import(context(), *handle);
  ASSERT_TRUE(Succeeds(imported));
  auto stream = Stream::create(context());
  ASSERT_TRUE(Succeeds(stream));

  // Vulkan signals 5 with a queue submission (an upload that carries the signal), then a
  // CUDA stream waiting for 5 completes. Not vkSignalSemaphore: the 1.3.239 validation
  // layer reports host signals of exported semaphores falsely
  // (VUID-VkSemaphoreSignalInfo-value-03259), as src/vulkan/channel notes.
  const TextureDescriptor desc{16, 16};
  auto texture = manager.create(desc);
  ASSERT_TRUE(Succeeds(texture));
  VkSemaphoreSubmitInfo signal{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  signal.semaphore = (*semaphore)->semaphore();
  signal.value = 5;
  signal.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  ASSERT_TRUE(Succeeds(vulkan::upload(**texture, pattern_bytes(desc, 1), {}, {&signal, 1})));
  ASSERT_TRUE(Succeeds(imported->wait(5, stream->get())));
  EXPECT_TRUE(Succeeds(stream->wait(std::chrono::seconds(5))));
  // CUDA signals 6 on the stream; Vulkan sees it on the CPU.
  ASSERT_TRUE(Succeeds(imported->signal(6, stream->get())));
  EXPECT_TRUE(Succeeds((*semaphore)->wait(6, 5'000'000'000ull)));
  EXPECT_TRUE(Succeeds(stream->wait(std::chrono::seconds(5))));
}

TEST_F(CudaImport, ABinarySemaphoreIsRefused) {
  vulkan::VulkanTextureShareManager manager(device());
  if (!manager.query_semaphore(SemaphoreType::Binary).exportable) {
    GTEST_SKIP() << device().name() << " exports no binary semaphores";
  }
  auto semaphore = manager.create_vk_semaphore(SemaphoreType::Binary);
  ASSERT_TRUE(Succeeds(semaphore));
  auto handle = manager.export_semaphore(**semaphore);
  ASSERT_TRUE(Succeeds(handle));
  EXPECT_TRUE(FailsWith(TimelineSemaphore::import(context(), *handle), ErrorCode::Validation));
}

}  // namespace
}  // namespace geyser::cuda::test
