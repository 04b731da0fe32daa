// What a stream's texels mean: colour space, alpha mode and row order. Carried in the
// stream description (protocol v2) and shown by `geyser list` and `geyser recv`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace geyser {

/// The colour space of the texels (primaries and transfer function).
enum class ColorSpace : std::uint8_t {
  Srgb = 0,        ///< sRGB primaries, sRGB transfer (the default)
  LinearSrgb = 1,  ///< sRGB primaries, linear
  Bt709 = 2,       ///< BT.709 primaries and transfer (video)
  Bt2020Pq = 3,    ///< BT.2020 primaries, SMPTE ST 2084 (PQ): HDR10
  Bt2020Hlg = 4,   ///< BT.2020 primaries, ARIB STD-B67 (HLG)
};

/// How the alpha channel is to be read.
enum class AlphaMode : std::uint8_t {
  Straight = 0,       ///< colour not multiplied by alpha (the default)
  Premultiplied = 1,  ///< colour already multiplied by alpha
  Opaque = 2,         ///< ignore alpha: every texel is opaque
};

/// The order of the rows in memory.
enum class Orientation : std::uint8_t {
  TopDown = 0,   ///< row 0 is the top of the image (Vulkan, most images; the default)
  BottomUp = 1,  ///< row 0 is the bottom (OpenGL's convention)
};

/// A stream's colour description.
struct ColorDescription {
  ColorSpace space = ColorSpace::Srgb;
  AlphaMode alpha = AlphaMode::Straight;
  Orientation orientation = Orientation::TopDown;
  friend bool operator==(const ColorDescription&, const ColorDescription&) = default;
};

/// "srgb", "linear-srgb", "bt709", "bt2020-pq", "bt2020-hlg"; "unknown" for other values.
[[nodiscard]] std::string_view to_string(ColorSpace space) noexcept;
/// "straight", "premultiplied", "opaque".
[[nodiscard]] std::string_view to_string(AlphaMode alpha) noexcept;
/// "top-down", "bottom-up".
[[nodiscard]] std::string_view to_string(Orientation orientation) noexcept;
/// Whether each field holds one of its enum's values (a peer's bytes may not).
[[nodiscard]] bool is_known(const ColorDescription& color) noexcept;

/// Every value of each enum, in the order of their values (for option lists and tests).
inline constexpr std::array kAllColorSpaces{ColorSpace::Srgb, ColorSpace::LinearSrgb,
                                            ColorSpace::Bt709, ColorSpace::Bt2020Pq,
                                            ColorSpace::Bt2020Hlg};
inline constexpr std::array kAllAlphaModes{AlphaMode::Straight, AlphaMode::Premultiplied,
                                           AlphaMode::Opaque};
inline constexpr std::array kAllOrientations{Orientation::TopDown, Orientation::BottomUp};

/// The value whose to_string is `name`, ignoring ASCII case ("bt2020-pq", "BT2020-PQ");
/// nullopt for any other text (including "unknown").
[[nodiscard]] std::optional<ColorSpace> parse_color_space(std::string_view name) noexcept;
/// "straight", "premultiplied", "opaque", ignoring case; nullopt otherwise.
[[nodiscard]] std::optional<AlphaMode> parse_alpha_mode(std::string_view name) noexcept;
/// "top-down", "bottom-up", ignoring case; nullopt otherwise.
[[nodiscard]] std::optional<Orientation> parse_orientation(std::string_view name) noexcept;

}  // namespace geyser
