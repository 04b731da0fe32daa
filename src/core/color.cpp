#include "geyser/color.hpp"

#include <cstddef>

namespace geyser {
namespace {

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The value of `all` whose to_string is `name`.
template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<Enum, N>& all, std::string_view name) noexcept {
  for (const Enum value : all) {
    if (equal_ignoring_case(to_string(value), name)) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ColorSpace space) noexcept {
  switch (space) {
    case ColorSpace::Srgb: return "srgb";
    case ColorSpace::LinearSrgb: return "linear-srgb";
    case ColorSpace::Bt709: return "bt709";
    case ColorSpace::Bt2020Pq: return "bt2020-pq";
    case ColorSpace::Bt2020Hlg: return "bt2020-hlg";
  }
  return "unknown";
}

std::string_view to_string(AlphaMode alpha) noexcept {
  switch (alpha) {
    case AlphaMode::Straight: return "straight";
    case AlphaMode::Premultiplied: return "premultiplied";
    case AlphaMode::Opaque: return "opaque";
  }
  return "unknown";
}

std::string_view to_string(Orientation orientation) noexcept {
  switch (orientation) {
    case Orientation::TopDown: return "top-down";
    case Orientation::BottomUp: return "bottom-up";
  }
  return "unknown";
}

bool is_known(const ColorDescription& color) noexcept {
  return to_string(color.space) != "unknown" && to_string(color.alpha) != "unknown" &&
         to_string(color.orientation) != "unknown";
}

std::optional<ColorSpace> parse_color_space(std::string_view name) noexcept {
  return parse_name(kAllColorSpaces, name);
}

std::optional<AlphaMode> parse_alpha_mode(std::string_view name) noexcept {
  return parse_name(kAllAlphaModes, name);
}

std::optional<Orientation> parse_orientation(std::string_view name) noexcept {
  return parse_name(kAllOrientations, name);
}

}  // namespace geyser
