// Host frames on the sender's side: a shared texture copied by the device straight into a
// sealed memfd it imported with VK_EXT_external_memory_host (padded rows, no CPU copy), and
// the pitched upload.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/ipc/shared_memory.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/test_descriptors.hpp"

#include "../../src/vulkan/host_copy.hpp"

namespace geyser::test {
namespace {

constexpr std::byte kUnwritten{0xAB};
constexpr std::uint64_t kRegionGranule = 64 * 1024;  // host slots are multiples of 64 KiB
constexpr std::chrono::milliseconds kTimeout{10000};

std::uint64_t round_up(std::uint64_t value, std::uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::uint32_t texel_size(const TextureDescriptor& desc) {
  return format_info(desc.format).texel_size;
}

// The padded pitch the host slots use: a row's texels rounded up to 256 bytes.
std::uint32_t padded_pitch(const TextureDescriptor& desc) {
  return static_cast<std::uint32_t>(round_up(std::uint64_t{desc.width} * texel_size(desc), 256));
}

// A sealed memfd of at least `bytes`, a multiple of 64 KiB (and of the import alignment),
// filled with kUnwritten.
std::optional<ipc::SharedMemory> make_region(const vulkan::Device& device, std::uint64_t bytes,
                                             std::string* error) {
  const std::uint64_t granule =
      std::max<std::uint64_t>(kRegionGranule, device.min_imported_host_pointer_alignment());
  auto region =
      ipc::SharedMemory::create("test", round_up(std::max<std::uint64_t>(bytes, 1), granule),
                                ipc::SharedAccess::CreatorWrites);
  if (!region) {
    *error = region.error().to_string();
    return std::nullopt;
  }
  std::fill(region->bytes().begin(), region->bytes().end(), kUnwritten);
  return std::move(region).value();
}

// Checks every texel of every row of `host` against frame `frame`, and that the padding
// after each row and everything after the last row still hold kUnwritten.
testing::AssertionResult HoldsPaddedPattern(std::span<const std::byte> host,
                                            const TextureDescriptor& desc, std::uint32_t row_pitch,
                                            std::uint64_t frame) {
  const std::uint32_t texel = texel_size(desc);
  const std::uint64_t row_bytes = std::uint64_t{desc.width} * texel;
  std::uint64_t wrong_texels = 0;
  std::uint64_t written_padding = 0;
  std::string first;
  for (std::uint32_t y = 0; y < desc.height; ++y) {
    const std::byte* row = host.data() + std::uint64_t{row_pitch} * y;
    for (std::uint32_t x = 0; x < desc.width; ++x) {
      for (std::uint32_t k = 0; k < texel; ++k) {
        const auto actual = std::to_integer<std::uint8_t>(row[std::uint64_t{x} * texel + k]);
        const std::uint8_t expected = pattern_byte(x, y, k, frame);
        if (actual != expected) {
          if (wrong_texels++ == 0) {
            first = "texel (" + std::to_string(x) + ", " + std::to_string(y) + ") byte " +
                    std::to_string(k) + " is " + std::to_string(actual) + ", expected " +
                    std::to_string(expected);
          }
        }
      }
    }
    for (std::uint64_t i = row_bytes; i < row_pitch; ++i) {
      if (row[i] != kUnwritten && written_padding++ == 0 && first.empty()) {
        first =
            "padding byte " + std::to_string(i) + " of row " + std::to_string(y) + " was written";
      }
    }
  }
  for (std::uint64_t i = std::uint64_t{row_pitch} * desc.height; i < host.size(); ++i) {
    if (host[i] != kUnwritten && written_padding++ == 0 && first.empty()) {
      first = "byte " + std::to_string(i) + " after the last row was written";
    }
  }
  if (wrong_texels == 0 && written_padding == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << describe(desc) << " at row pitch " << row_pitch << ", frame " << frame << ": "
         << wrong_texels << " wrong texel bytes, " << written_padding
         << " padding bytes written; first: " << first;
}

class HostCopyTest : public OneDeviceTest {
 protected:
  void SetUp() override {
    OneDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!device().host_pointer_import()) {
      GTEST_SKIP() << device().name() << " lacks VK_EXT_external_memory_host";
    }
  }
};

using Case = std::tuple<TextureFormat, std::uint32_t, std::uint32_t>;

class HostCopyFormatTest : public HostCopyTest, public testing::WithParamInterface<Case> {
 protected:
  [[nodiscard]] TextureDescriptor desc() const {
    return texture_desc(std::get<0>(GetParam()), std::get<1>(GetParam()), std::get<2>(GetParam()));
  }
};

TEST_P(HostCopyFormatTest, PaddedRowsHoldEveryTexelAndThePaddingIsUntouched) {
  const TextureDescriptor d = desc();
  const std::uint32_t pitch = padded_pitch(d);
  std::string error;
  auto region = make_region(device(), std::uint64_t{pitch} * d.height, &error);
  ASSERT_TRUE(region) << error;
  auto dest = vulkan::detail::HostPointerBuffer::import(device(), region->bytes());
  ASSERT_TRUE(Succeeds(dest));
  EXPECT_EQ(dest->size(), region->bytes().size());
  EXPECT_NE(dest->buffer(), VK_NULL_HANDLE);

  auto texture = manager().create(d);
  ASSERT_TRUE(Succeeds(texture));
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 3)));
  ASSERT_TRUE(Succeeds(vulkan::detail::copy_to_host(**texture, *dest, pitch, kTimeout)));
  EXPECT_TRUE(HoldsPaddedPattern(region->bytes(), d, pitch, 3));
  EXPECT_EQ((*texture)->shared_layout(), static_cast<VkImageLayout>(kSharedImageLayout));
}

TEST_P(HostCopyFormatTest, PitchedUploadRoundTrips) {
  const TextureDescriptor d = desc();
  const std::uint32_t texel = texel_size(d);
  const std::uint32_t pitch = padded_pitch(d) + 4 * texel;  // padding on every row
  const std::uint64_t row_bytes = std::uint64_t{d.width} * texel;
  // Exactly the minimum: the last row without its padding.
  std::vector<std::uint8_t> bytes(std::uint64_t{pitch} * (d.height - 1) + row_bytes, 0xCD);
  const std::vector<std::uint8_t> tight = pattern_bytes(d, 7);
  for (std::uint32_t y = 0; y < d.height; ++y) {
    std::copy_n(tight.begin() + static_cast<std::ptrdiff_t>(row_bytes * y), row_bytes,
                bytes.begin() + static_cast<std::ptrdiff_t>(std::uint64_t{pitch} * y));
  }
  auto texture = manager().create(d);
  ASSERT_TRUE(Succeeds(texture));
  ASSERT_TRUE(Succeeds(vulkan::upload_rows(**texture, bytes, pitch)));
  EXPECT_TRUE(HasPattern(**texture, 7));

  // One byte short of the last row.
  EXPECT_TRUE(
      FailsWith(vulkan::upload_rows(**texture, std::span(bytes).first(bytes.size() - 1), pitch),
                ErrorCode::Validation));
  // A pitch below the row, or not a whole number of texels.
  EXPECT_TRUE(FailsWith(
      vulkan::upload_rows(**texture, bytes, static_cast<std::uint32_t>(row_bytes) - texel),
      ErrorCode::Validation));
  if (texel > 1) {
    EXPECT_TRUE(FailsWith(vulkan::upload_rows(**texture, bytes, pitch + 1), ErrorCode::Validation));
  }
  EXPECT_TRUE(HasPattern(**texture, 7));  // the failed calls changed nothing
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" +
         std::to_string(std::get<1>(info.param)) + "x" + std::to_string(std::get<2>(info.param));
}

// A full HD frame and an odd size (rows whose bytes are not a multiple of anything nice).
std::vector<Case> cases() {
  std::vector<Case> out;
  for (TextureFormat format :
       {TextureFormat::Rgba8Unorm, TextureFormat::Rgba16Float, TextureFormat::R8Unorm}) {
    out.emplace_back(format, 1920u, 1080u);
    out.emplace_back(format, 33u, 17u);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(HostCopy, HostCopyFormatTest, testing::ValuesIn(cases()), case_name);

TEST_F(HostCopyTest, MisalignedMemoryIsValidation) {
  std::string error;
  auto region = make_region(device(), 2 * kRegionGranule, &error);
  ASSERT_TRUE(region) << error;
  const std::size_t alignment = device().min_imported_host_pointer_alignment();
  ASSERT_GT(alignment, 1u);
  const std::span<std::byte> all = region->bytes();
  EXPECT_TRUE(FailsWith(vulkan::detail::HostPointerBuffer::import(
                            device(), all.subspan(alignment / 2, all.size() - alignment)),
                        ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(
      vulkan::detail::HostPointerBuffer::import(device(), all.first(all.size() - alignment / 2)),
      ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(vulkan::detail::HostPointerBuffer::import(device(), all.first(0)),
                        ErrorCode::Validation));
  // Aligned at both ends, a part of the region imports.
  EXPECT_TRUE(Succeeds(vulkan::detail::HostPointerBuffer::import(
      device(), all.subspan(alignment, all.size() - 2 * alignment))));
}

TEST_F(HostCopyTest, TooSmallDestinationOrBadPitchIsValidation) {
  const TextureDescriptor d = texture_desc(TextureFormat::Rgba8Unorm, 1920, 1080);
  const std::uint32_t pitch = padded_pitch(d);
  std::string error;
  auto region = make_region(device(), kRegionGranule, &error);  // far less than 1920x1080x4
  ASSERT_TRUE(region) << error;
  auto dest = vulkan::detail::HostPointerBuffer::import(device(), region->bytes());
  ASSERT_TRUE(Succeeds(dest));
  auto texture = manager().create(d);
  ASSERT_TRUE(Succeeds(texture));
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 1)));
  EXPECT_TRUE(FailsWith(vulkan::detail::copy_to_host(**texture, *dest, pitch, kTimeout),
                        ErrorCode::Validation));

  auto big = make_region(device(), std::uint64_t{pitch} * d.height, &error);
  ASSERT_TRUE(big) << error;
  auto big_dest = vulkan::detail::HostPointerBuffer::import(device(), big->bytes());
  ASSERT_TRUE(Succeeds(big_dest));
  EXPECT_TRUE(FailsWith(vulkan::detail::copy_to_host(**texture, *big_dest, 1920 * 4 - 4, kTimeout),
                        ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(vulkan::detail::copy_to_host(**texture, *big_dest, pitch + 2, kTimeout),
                        ErrorCode::Validation));
  // Nothing was written by the refused copies.
  EXPECT_TRUE(std::all_of(big->bytes().begin(), big->bytes().end(),
                          [](std::byte b) { return b == kUnwritten; }));
  EXPECT_TRUE(HasPattern(**texture, 1));
}

TEST_F(HostCopyTest, TenFramesInARowEachHoldTheirOwnPattern) {
  const TextureDescriptor d = texture_desc(TextureFormat::Rgba8Unorm, 33, 17);
  const std::uint32_t pitch = padded_pitch(d);
  std::string error;
  auto region = make_region(device(), std::uint64_t{pitch} * d.height, &error);
  ASSERT_TRUE(region) << error;
  auto dest = vulkan::detail::HostPointerBuffer::import(device(), region->bytes());
  ASSERT_TRUE(Succeeds(dest));
  auto texture = manager().create(d);
  ASSERT_TRUE(Succeeds(texture));
  for (std::uint64_t frame = 10; frame < 20; ++frame) {
    ASSERT_TRUE(Succeeds(write_pattern(**texture, frame)));
    ASSERT_TRUE(Succeeds(vulkan::detail::copy_to_host(**texture, *dest, pitch, kTimeout)));
    ASSERT_TRUE(HoldsPaddedPattern(region->bytes(), d, pitch, frame));
  }
}

TEST_F(HostCopyTest, MovedBufferKeepsItsImport) {
  std::string error;
  auto region = make_region(device(), kRegionGranule, &error);
  ASSERT_TRUE(region) << error;
  auto dest = vulkan::detail::HostPointerBuffer::import(device(), region->bytes());
  ASSERT_TRUE(Succeeds(dest));
  const VkBuffer buffer = dest->buffer();
  vulkan::detail::HostPointerBuffer moved = std::move(*dest);
  EXPECT_EQ(moved.buffer(), buffer);
  EXPECT_EQ(moved.size(), region->bytes().size());
  EXPECT_EQ(dest->buffer(), VK_NULL_HANDLE);  // NOLINT(bugprone-use-after-move)
  const TextureDescriptor d = texture_desc(TextureFormat::R8Unorm, 33, 17);
  auto texture = manager().create(d);
  ASSERT_TRUE(Succeeds(texture));
  ASSERT_TRUE(Succeeds(write_pattern(**texture, 5)));
  ASSERT_TRUE(Succeeds(vulkan::detail::copy_to_host(**texture, moved, padded_pitch(d), kTimeout)));
  EXPECT_TRUE(HoldsPaddedPattern(region->bytes(), d, padded_pitch(d), 5));
}

// Clears `texture` to `value` in every channel with work submitted to the main queue and not
// waited for: the copy lane's handoff alone must order a copy after it.
class PendingClear {
 public:
  PendingClear(const vulkan::Device& device, vulkan::VulkanSharedTexture& texture, float value)
      : device_(device) {
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = device.command_pool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    ok_ = vkAllocateCommandBuffers(device.device(), &alloc, &cmd_) == VK_SUCCESS;
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    ok_ = ok_ && vkBeginCommandBuffer(cmd_, &begin) == VK_SUCCESS;
    if (!ok_) return;
    const auto acquire =
        vulkan::acquire_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                VK_PIPELINE_STAGE_2_CLEAR_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
    record(acquire);
    const VkClearColorValue colour{{value, value, value, value}};
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cmd_, texture.image(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1,
                         &range);
    const auto release =
        vulkan::release_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                VK_PIPELINE_STAGE_2_CLEAR_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT);
    record(release);
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    ok_ = vkEndCommandBuffer(cmd_) == VK_SUCCESS &&
          vkCreateFence(device.device(), &fence_info, nullptr, &fence_) == VK_SUCCESS;
    VkCommandBufferSubmitInfo cmd_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    cmd_info.commandBuffer = cmd_;
    VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    submit.commandBufferInfoCount = 1;
    submit.pCommandBufferInfos = &cmd_info;
    ok_ = ok_ && vkQueueSubmit2(device.queue(), 1, &submit, fence_) == VK_SUCCESS;
    if (ok_) texture.mark_released();
  }
  PendingClear(const PendingClear&) = delete;
  PendingClear& operator=(const PendingClear&) = delete;
  ~PendingClear() {
    if (fence_ != VK_NULL_HANDLE) {
      vkWaitForFences(device_.device(), 1, &fence_, VK_TRUE, UINT64_MAX);
      vkDestroyFence(device_.device(), fence_, nullptr);
    }
    if (cmd_ != VK_NULL_HANDLE) {
      vkFreeCommandBuffers(device_.device(), device_.command_pool(), 1, &cmd_);
    }
  }
  [[nodiscard]] bool submitted() const noexcept { return ok_; }

 private:
  void record(const VkImageMemoryBarrier2& barrier) {
    VkDependencyInfo dep{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
    dep.imageMemoryBarrierCount = 1;
    dep.pImageMemoryBarriers = &barrier;
    vkCmdPipelineBarrier2(cmd_, &dep);
  }

  const vulkan::Device& device_;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  bool ok_ = false;
};

// How many of the first `bytes` bytes of each of `rows` rows, `pitch` apart, are not `value`.
std::uint64_t bytes_other_than(std::span<const std::byte> host, std::uint32_t rows,
                               std::uint32_t pitch, std::uint64_t bytes, std::uint8_t value) {
  std::uint64_t wrong = 0;
  for (std::uint32_t y = 0; y < rows; ++y) {
    for (std::uint64_t i = 0; i < bytes; ++i) {
      wrong += std::to_integer<std::uint8_t>(host[std::uint64_t{pitch} * y + i]) != value;
    }
  }
  return wrong;
}

// Frames of `d` through `lane` into `region`, each copied right after a clear the main queue
// may still be running (PendingClear, alternately 255 and 0 in every byte): every byte of
// every copy must be the clear's. `texture` gets the texture, holding the last clear.
void ExpectCopiesFollowPendingClears(const vulkan::Device& device,
                                     vulkan::VulkanTextureShareManager& manager,
                                     vulkan::detail::CopyLane& lane, const TextureDescriptor& d,
                                     int frames, ipc::SharedMemory& region,
                                     std::unique_ptr<vulkan::VulkanSharedTexture>& texture) {
  const std::uint32_t pitch = padded_pitch(d);
  auto dest = vulkan::detail::HostPointerBuffer::import(device, region.bytes());
  ASSERT_TRUE(Succeeds(dest));
  auto created = manager.create(d);
  ASSERT_TRUE(Succeeds(created));
  texture = std::move(*created);
  for (int frame = 0; frame < frames; ++frame) {
    const std::uint8_t value = frame % 2 == 0 ? 255 : 0;
    PendingClear clear(device, *texture, value / 255.0f);
    ASSERT_TRUE(clear.submitted());
    ASSERT_TRUE(Succeeds(vulkan::detail::copy_to_host(*texture, *dest, pitch, kTimeout, &lane)));
    ASSERT_EQ(bytes_other_than(region.bytes(), d.height, pitch, d.width * 4ull, value), 0u)
        << "frame " << frame;
  }
}

TEST_F(HostCopyTest, MainQueueLaneWhenToldOrWithoutACopyEngine) {
  auto lane = vulkan::detail::CopyLane::create(device(), false);
  ASSERT_TRUE(Succeeds(lane));
  EXPECT_FALSE(lane->dedicated());
  EXPECT_EQ(lane->queue().queue, device().queue());
  auto chosen = vulkan::detail::CopyLane::create(device());
  ASSERT_TRUE(Succeeds(chosen));
  EXPECT_EQ(chosen->dedicated(), device().transfer_queue() != nullptr);

  // Frames through the main queue's lane, each after a clear that was not waited for.
  const TextureDescriptor d = texture_desc(TextureFormat::Rgba8Unorm, 1920, 1080);
  std::string error;
  auto region = make_region(device(), std::uint64_t{padded_pitch(d)} * d.height, &error);
  ASSERT_TRUE(region) << error;
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  ExpectCopiesFollowPendingClears(device(), manager(), *lane, d, 4, *region, texture);
}

// The copy engine's queue: each copy waits, through the lane's timeline, for a clear the
// main queue may still be running, and sees it; the texture rests released in between, so
// the main queue's next clear acquires it again. 4K frames, so that a copy not ordered after
// its clear would read a half-cleared image.
TEST_F(HostCopyTest, TransferQueueLaneCopiesWhatTheMainQueueWroteBefore) {
  if (device().transfer_queue() == nullptr) {
    GTEST_SKIP() << device().name()
                 << " has no dedicated transfer queue family: host copies run on the main "
                    "queue (MainQueueLaneWhenToldOrWithoutACopyEngine)";
  }
  auto lane = vulkan::detail::CopyLane::create(device());
  ASSERT_TRUE(Succeeds(lane));
  ASSERT_TRUE(lane->dedicated());
  EXPECT_EQ(lane->queue().queue, device().transfer_queue()->queue);
  const TextureDescriptor d = texture_desc(TextureFormat::Rgba8Unorm, 3840, 2160);
  std::string error;
  auto region = make_region(device(), std::uint64_t{padded_pitch(d)} * d.height, &error);
  ASSERT_TRUE(region) << error;
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  ExpectCopiesFollowPendingClears(device(), manager(), *lane, d, 20, *region, texture);
  ASSERT_FALSE(HasFatalFailure());
  auto dest = vulkan::detail::HostPointerBuffer::import(device(), region->bytes());
  ASSERT_TRUE(Succeeds(dest));
  const std::uint32_t pitch = padded_pitch(d);
  // The pattern, written and waited for, then copied on the copy engine, every texel exact.
  ASSERT_TRUE(Succeeds(write_pattern(*texture, 9)));
  ASSERT_TRUE(Succeeds(vulkan::detail::copy_to_host(*texture, *dest, pitch, kTimeout, &*lane)));
  EXPECT_TRUE(HoldsPaddedPattern(region->bytes(), d, pitch, 9));
}

}  // namespace
}  // namespace geyser::test
