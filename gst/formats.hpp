// Which video/x-raw formats Geyser carries, and the texture format each one is.
#pragma once

#include <gst/video/video.h>

#include <optional>

#include "geyser/geyser.h"

namespace geyser::gst {

/// The texture format a sender publishes for `format`; nullopt for one Geyser cannot carry.
/// The x of RGBx and BGRx arrives as alpha.
[[nodiscard]] std::optional<geyser_format> texture_format(GstVideoFormat format) noexcept;
/// The video format a receiver's frames of `format` are; nullopt for one video/x-raw has no
/// name for (floats, integers, two channels, depth). sRGB formats are their UNORM bytes.
[[nodiscard]] std::optional<GstVideoFormat> video_format(geyser_format format) noexcept;
/// "RGBA, BGRA, RGBx, ...": what the elements' pads take, for messages.
[[nodiscard]] const char* carried_formats() noexcept;
/// video/x-raw in every carried format, any size; with `features` (a caps feature such as
/// GST_CAPS_FEATURE_MEMORY_GL_MEMORY) when not null. The caller owns the caps.
[[nodiscard]] GstCaps* carried_caps(const char* features = nullptr);

}  // namespace geyser::gst
