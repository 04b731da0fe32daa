// Descriptors the Vulkan tests use over and over. (The sync tests have their own rgba8 in
// sync/frame_check.hpp, with the usage their streams need.)
#pragma once

#include <cstdint>

#include "geyser/texture.hpp"

namespace geyser::test {

/// A `width` x `height` RGBA8 texture with the default usage (sampled, colour attachment,
/// copies both ways), one mip level, one layer.
[[nodiscard]] inline TextureDescriptor rgba8(std::uint32_t width, std::uint32_t height) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = TextureFormat::Rgba8Unorm;
  return desc;
}

/// A `width` x `height` texture of `format` with the default usage, one mip, one layer.
[[nodiscard]] inline TextureDescriptor texture_desc(TextureFormat format, std::uint32_t width,
                                                    std::uint32_t height) {
  TextureDescriptor desc = rgba8(width, height);
  desc.format = format;
  return desc;
}

}  // namespace geyser::test
