#include "formats.hpp"

#include <array>
#include <utility>

namespace geyser::gst {
namespace {

struct Pair {
  GstVideoFormat video;
  geyser_format texture;
};

// RGB10A2_LE is red in the low bits, as Geyser's Rgb10a2Unorm (A2B10G10R10_UNORM_PACK32).
constexpr std::array<Pair, 8> kPairs{{
    {GST_VIDEO_FORMAT_RGBA, GEYSER_FORMAT_RGBA8_UNORM},
    {GST_VIDEO_FORMAT_BGRA, GEYSER_FORMAT_BGRA8_UNORM},
    {GST_VIDEO_FORMAT_RGBx, GEYSER_FORMAT_RGBA8_UNORM},
    {GST_VIDEO_FORMAT_BGRx, GEYSER_FORMAT_BGRA8_UNORM},
    {GST_VIDEO_FORMAT_GRAY8, GEYSER_FORMAT_R8_UNORM},
    {GST_VIDEO_FORMAT_GRAY16_LE, GEYSER_FORMAT_R16_UNORM},
    {GST_VIDEO_FORMAT_RGBA64_LE, GEYSER_FORMAT_RGBA16_UNORM},
    {GST_VIDEO_FORMAT_RGB10A2_LE, GEYSER_FORMAT_RGB10A2_UNORM},
}};

constexpr const char* kCarried = "RGBA, BGRA, RGBx, BGRx, GRAY8, GRAY16_LE, RGBA64_LE, RGB10A2_LE";

}  // namespace

std::optional<geyser_format> texture_format(GstVideoFormat format) noexcept {
  for (const Pair& p : kPairs) {
    if (p.video == format) return p.texture;
  }
  return std::nullopt;
}

std::optional<GstVideoFormat> video_format(geyser_format format) noexcept {
  if (format == GEYSER_FORMAT_RGBA8_SRGB) return GST_VIDEO_FORMAT_RGBA;
  if (format == GEYSER_FORMAT_BGRA8_SRGB) return GST_VIDEO_FORMAT_BGRA;
  for (const Pair& p : kPairs) {
    if (p.texture == format) return p.video;  // the first: RGBA before RGBx
  }
  return std::nullopt;
}

const char* carried_formats() noexcept {
  return kCarried;
}

GstCaps* carried_caps(const char* features) {
  GValue list = G_VALUE_INIT;
  gst_value_list_init(&list, kPairs.size());
  for (const Pair& p : kPairs) {
    GValue name = G_VALUE_INIT;
    g_value_init(&name, G_TYPE_STRING);
    g_value_set_static_string(&name, gst_video_format_to_string(p.video));
    gst_value_list_append_and_take_value(&list, &name);
  }
  GstCaps* caps = gst_caps_new_simple("video/x-raw", "width", GST_TYPE_INT_RANGE, 1, 32768,
                                      "height", GST_TYPE_INT_RANGE, 1, 32768, "framerate",
                                      GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, nullptr);
  gst_structure_take_value(gst_caps_get_structure(caps, 0), "format", &list);
  if (features != nullptr) {
    gst_caps_set_features(caps, 0, gst_caps_features_new(features, nullptr));
  }
  return caps;
}

}  // namespace geyser::gst
