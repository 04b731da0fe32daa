#include "geyser/color.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace geyser {
namespace {

TEST(Color, NamesAreTheDocumentedOnes) {
  EXPECT_EQ(to_string(ColorSpace::Srgb), "srgb");
  EXPECT_EQ(to_string(ColorSpace::LinearSrgb), "linear-srgb");
  EXPECT_EQ(to_string(ColorSpace::Bt709), "bt709");
  EXPECT_EQ(to_string(ColorSpace::Bt2020Pq), "bt2020-pq");
  EXPECT_EQ(to_string(ColorSpace::Bt2020Hlg), "bt2020-hlg");
  EXPECT_EQ(to_string(AlphaMode::Straight), "straight");
  EXPECT_EQ(to_string(AlphaMode::Premultiplied), "premultiplied");
  EXPECT_EQ(to_string(AlphaMode::Opaque), "opaque");
  EXPECT_EQ(to_string(Orientation::TopDown), "top-down");
  EXPECT_EQ(to_string(Orientation::BottomUp), "bottom-up");
}

TEST(Color, TheValueListsHoldEveryValueOnceInOrder) {
  for (std::size_t i = 0; i < kAllColorSpaces.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kAllColorSpaces[i]), i);
  }
  for (std::size_t i = 0; i < kAllAlphaModes.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kAllAlphaModes[i]), i);
  }
  for (std::size_t i = 0; i < kAllOrientations.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kAllOrientations[i]), i);
  }
  // The value after the last is not a known one: the lists are complete.
  EXPECT_EQ(to_string(static_cast<ColorSpace>(kAllColorSpaces.size())), "unknown");
  EXPECT_EQ(to_string(static_cast<AlphaMode>(kAllAlphaModes.size())), "unknown");
  EXPECT_EQ(to_string(static_cast<Orientation>(kAllOrientations.size())), "unknown");
}

TEST(Color, ParseInvertsToString) {
  for (const ColorSpace space : kAllColorSpaces) {
    EXPECT_EQ(parse_color_space(to_string(space)), space) << to_string(space);
  }
  for (const AlphaMode alpha : kAllAlphaModes) {
    EXPECT_EQ(parse_alpha_mode(to_string(alpha)), alpha) << to_string(alpha);
  }
  for (const Orientation orientation : kAllOrientations) {
    EXPECT_EQ(parse_orientation(to_string(orientation)), orientation) << to_string(orientation);
  }
}

TEST(Color, ParseIgnoresCase) {
  EXPECT_EQ(parse_color_space("BT2020-PQ"), ColorSpace::Bt2020Pq);
  EXPECT_EQ(parse_color_space("Linear-sRGB"), ColorSpace::LinearSrgb);
  EXPECT_EQ(parse_alpha_mode("Premultiplied"), AlphaMode::Premultiplied);
  EXPECT_EQ(parse_orientation("BOTTOM-UP"), Orientation::BottomUp);
}

TEST(Color, ParseRefusesOtherText) {
  for (const char* text : {"", "unknown", "srgb ", " srgb", "bt2020", "bt2020_pq", "rec709"}) {
    EXPECT_FALSE(parse_color_space(text).has_value()) << '"' << text << '"';
  }
  for (const char* text : {"", "unknown", "straigh", "premultiplied-alpha", "none"}) {
    EXPECT_FALSE(parse_alpha_mode(text).has_value()) << '"' << text << '"';
  }
  for (const char* text : {"", "unknown", "topdown", "top_down", "bottom-up\n"}) {
    EXPECT_FALSE(parse_orientation(text).has_value()) << '"' << text << '"';
  }
  EXPECT_FALSE(parse_color_space(std::string("srgb\0", 5)).has_value());
}

TEST(Color, DefaultDescriptionIsSrgbStraightTopDown) {
  const ColorDescription color;
  EXPECT_EQ(color.space, ColorSpace::Srgb);
  EXPECT_EQ(color.alpha, AlphaMode::Straight);
  EXPECT_EQ(color.orientation, Orientation::TopDown);
  EXPECT_TRUE(is_known(color));
  EXPECT_FALSE(is_known(
      ColorDescription{static_cast<ColorSpace>(200), AlphaMode::Opaque, Orientation::TopDown}));
}

}  // namespace
}  // namespace geyser
