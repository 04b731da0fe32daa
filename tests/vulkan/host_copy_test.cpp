// Host frames on the sender's side: a shared texture copied by the device straight into a
// sealed memfd it imported with VK_EXT_external_memory_host (padded rows, no CPU copy), and
// the pitched upload.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
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

#include "../../src/vulkan/host_copy.hpp"

namespace geyser::test {
namespace {

constexpr std::byte kUnwritten{0xAB};
constexpr std::uint64_t kRegionGranule = 64 * 1024;  // host slots are multiples of 64 KiB
constexpr std::chrono::milliseconds kTimeout{10000};

std::uint64_t round_up(std::uint64_t value, std::uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

TextureDescriptor texture_desc(TextureFormat format, std::uint32_t width, std::uint32_t height) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = format;
  return desc;
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

}  // namespace
}  // namespace geyser::test
