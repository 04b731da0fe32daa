#include "geyser/color.hpp"

namespace geyser {

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

}  // namespace geyser
