#include "geyser/test_pattern.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace geyser {
namespace {

std::vector<std::uint8_t> pattern(std::uint32_t width, std::uint32_t height,
                                  std::uint32_t texel_size, std::uint64_t frame) {
  std::vector<std::uint8_t> image(std::size_t{width} * height * texel_size);
  fill_test_pattern(image, width, height, texel_size, frame);
  return image;
}

TEST(TestPatternTest, Rgba8MatchesTheDesignFormula) {
  constexpr std::uint32_t kWidth = 300;  // wider and taller than 256, so the mod shows
  constexpr std::uint32_t kHeight = 270;
  for (const std::uint64_t f : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3},
                                std::uint64_t{200}, std::uint64_t{1000003}}) {
    const auto image = pattern(kWidth, kHeight, 4, f);
    std::uint64_t wrong = 0;
    for (std::uint32_t y = 0; y < kHeight; ++y) {
      for (std::uint32_t x = 0; x < kWidth; ++x) {
        const std::uint8_t* px = &image[(std::size_t{y} * kWidth + x) * 4];
        // docs/architecture.md, "Test pattern": R = (x + f) mod 256, G = (y + 2f) mod 256, B = f
        // mod 256, A = 255.
        wrong += px[0] != (x + f) % 256;
        wrong += px[1] != (y + 2 * f) % 256;
        wrong += px[2] != f % 256;
        wrong += px[3] != 255;
      }
    }
    EXPECT_EQ(wrong, 0u) << "frame " << f;
    EXPECT_EQ(check_test_pattern(image, kWidth, kHeight, 4, f), std::nullopt);
  }
}

TEST(TestPatternTest, EveryTexelSizeMatchesPatternByte) {
  constexpr std::uint32_t kWidth = 37;
  constexpr std::uint32_t kHeight = 261;
  constexpr std::uint64_t kFrame = 77;
  for (const std::uint32_t texel_size : {1u, 2u, 3u, 4u, 6u, 8u, 12u, 16u}) {
    const auto image = pattern(kWidth, kHeight, texel_size, kFrame);
    std::uint64_t wrong = 0;
    for (std::uint32_t y = 0; y < kHeight; ++y) {
      for (std::uint32_t x = 0; x < kWidth; ++x) {
        for (std::uint32_t k = 0; k < texel_size; ++k) {
          wrong += image[(std::size_t{y} * kWidth + x) * texel_size + k] !=
                   pattern_byte(x, y, k, kFrame);
        }
      }
    }
    EXPECT_EQ(wrong, 0u) << "texel size " << texel_size;
    EXPECT_EQ(check_test_pattern(image, kWidth, kHeight, texel_size, kFrame), std::nullopt)
        << "texel size " << texel_size;
  }
}

TEST(TestPatternTest, WideTexelsRepeatTheRulesWithAnOffset) {
  // Byte 4 + k of a 16-byte texel is byte k shifted by 31.
  EXPECT_EQ(pattern_byte(5, 6, 4, 1), static_cast<std::uint8_t>(5 + 1 + 31));
  EXPECT_EQ(pattern_byte(5, 6, 5, 1), static_cast<std::uint8_t>(6 + 2 + 31));
  EXPECT_EQ(pattern_byte(5, 6, 6, 1), static_cast<std::uint8_t>(1 + 31));
  EXPECT_EQ(pattern_byte(5, 6, 7, 1), static_cast<std::uint8_t>(255 - 31));
  EXPECT_EQ(pattern_byte(5, 6, 15, 1), static_cast<std::uint8_t>(255 - 93));
}

TEST(TestPatternTest, DetectsASingleFlippedByte) {
  constexpr std::uint32_t kWidth = 64;
  constexpr std::uint32_t kHeight = 48;
  constexpr std::uint64_t kFrame = 9;
  for (const std::uint32_t texel_size : {4u, 16u}) {
    auto image = pattern(kWidth, kHeight, texel_size, kFrame);
    constexpr std::uint32_t kX = 41, kY = 29;
    const std::uint32_t k = texel_size == 4 ? 2 : 13;
    std::uint8_t& byte = image[(std::size_t{kY} * kWidth + kX) * texel_size + k];
    const std::uint8_t original = byte;
    byte ^= 0x10;
    const auto mismatch = check_test_pattern(image, kWidth, kHeight, texel_size, kFrame);
    ASSERT_TRUE(mismatch.has_value()) << "texel size " << texel_size;
    EXPECT_EQ(mismatch->x, kX);
    EXPECT_EQ(mismatch->y, kY);
    EXPECT_EQ(mismatch->byte, k);
    EXPECT_EQ(mismatch->expected, original);
    EXPECT_EQ(mismatch->expected, pattern_byte(kX, kY, k, kFrame));
    EXPECT_EQ(mismatch->actual, original ^ 0x10);
    EXPECT_EQ(mismatch->mismatched_bytes, 1u);
    const std::string text = mismatch->to_string();
    EXPECT_NE(text.find("(41, 29)"), std::string::npos) << text;
    EXPECT_NE(text.find("1 bytes differ"), std::string::npos) << text;
  }
}

TEST(TestPatternTest, ReportsTheFirstMismatchAndCountsAll) {
  constexpr std::uint32_t kWidth = 16;
  constexpr std::uint32_t kHeight = 16;
  auto image = pattern(kWidth, kHeight, 4, 5);
  image[(std::size_t{10} * kWidth + 3) * 4 + 0] ^= 1;  // (3, 10) R
  image[(std::size_t{2} * kWidth + 7) * 4 + 3] ^= 1;   // (7, 2) A: comes first
  image[(std::size_t{2} * kWidth + 9) * 4 + 1] ^= 1;   // (9, 2) G
  const auto mismatch = check_test_pattern(image, kWidth, kHeight, 4, 5);
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_EQ(mismatch->x, 7u);
  EXPECT_EQ(mismatch->y, 2u);
  EXPECT_EQ(mismatch->byte, 3u);
  EXPECT_EQ(mismatch->expected, 255);
  EXPECT_EQ(mismatch->actual, 254);
  EXPECT_EQ(mismatch->mismatched_bytes, 3u);
}

TEST(TestPatternTest, DetectsAStaleFrame) {
  const auto image = pattern(32, 32, 4, 11);
  const auto mismatch = check_test_pattern(image, 32, 32, 4, 12);
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_EQ(mismatch->x, 0u);
  EXPECT_EQ(mismatch->y, 0u);
  EXPECT_EQ(mismatch->byte, 0u);
  EXPECT_EQ(mismatch->mismatched_bytes, 32u * 32u * 3u);  // R, G and B all move; A stays
}

TEST(TestPatternTest, DetectsATornFrame) {
  constexpr std::uint32_t kWidth = 40;
  constexpr std::uint32_t kHeight = 30;
  const auto frame3 = pattern(kWidth, kHeight, 4, 3);
  const auto frame4 = pattern(kWidth, kHeight, 4, 4);
  // Top half from frame 3, bottom half from frame 4.
  std::vector<std::uint8_t> torn = frame3;
  const std::size_t half = std::size_t{kHeight / 2} * kWidth * 4;
  std::memcpy(torn.data() + half, frame4.data() + half, torn.size() - half);

  // The frame pixel (0, 0) claims is 3; the bottom half then fails.
  EXPECT_EQ(pattern_frame_of(torn), 3);
  const auto as3 = check_test_pattern(torn, kWidth, kHeight, 4, pattern_frame_of(torn));
  ASSERT_TRUE(as3.has_value());
  EXPECT_EQ(as3->x, 0u);
  EXPECT_EQ(as3->y, kHeight / 2);
  EXPECT_EQ(as3->byte, 0u);
  EXPECT_EQ(as3->expected, 3);
  EXPECT_EQ(as3->actual, 4);
  EXPECT_EQ(as3->mismatched_bytes, std::uint64_t{kHeight / 2} * kWidth * 3);

  const auto as4 = check_test_pattern(torn, kWidth, kHeight, 4, 4);
  ASSERT_TRUE(as4.has_value());
  EXPECT_EQ(as4->y, 0u);
  EXPECT_EQ(as4->mismatched_bytes, std::uint64_t{kHeight / 2} * kWidth * 3);
}

TEST(TestPatternTest, PatternFrameOfReadsBlue) {
  EXPECT_EQ(pattern_frame_of(pattern(4, 4, 4, 0)), 0);
  EXPECT_EQ(pattern_frame_of(pattern(4, 4, 4, 3)), 3);
  EXPECT_EQ(pattern_frame_of(pattern(4, 4, 4, 255)), 255);
  EXPECT_EQ(pattern_frame_of(pattern(4, 4, 4, 256 + 17)), 17);  // mod 256
  EXPECT_EQ(pattern_frame_of({}), 0);
}

TEST(TestPatternTest, FillsOnlyTheImageBytes) {
  std::vector<std::uint8_t> buffer(8 * 8 * 4 + 16, 0xEE);
  fill_test_pattern(buffer, 8, 8, 4, 1);
  for (std::size_t i = 8 * 8 * 4; i < buffer.size(); ++i) EXPECT_EQ(buffer[i], 0xEE) << i;
  EXPECT_EQ(check_test_pattern(buffer, 8, 8, 4, 1), std::nullopt);
}

TEST(TestPatternTest, EmptyImageMatches) {
  fill_test_pattern({}, 0, 0, 4, 1);
  EXPECT_EQ(check_test_pattern({}, 0, 10, 4, 1), std::nullopt);
}

TEST(TestPatternTest, Handles4kRgba32Float) {
  // 3840 x 2160 x 16 bytes: the largest image the tools fill every frame.
  constexpr std::uint32_t kWidth = 3840;
  constexpr std::uint32_t kHeight = 2160;
  auto image = pattern(kWidth, kHeight, 16, 42);
  EXPECT_EQ(check_test_pattern(image, kWidth, kHeight, 16, 42), std::nullopt);
  image.back() ^= 1;
  const auto mismatch = check_test_pattern(image, kWidth, kHeight, 16, 42);
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_EQ(mismatch->x, kWidth - 1);
  EXPECT_EQ(mismatch->y, kHeight - 1);
  EXPECT_EQ(mismatch->byte, 15u);
}

}  // namespace
}  // namespace geyser
