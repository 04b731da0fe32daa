// What the Windows host-frames test and its sending peer share: the stream's descriptor and
// the test pattern of a frame, tightly packed.
#pragma once

#include <cstdint>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"
#include "geyser/transfer.hpp"

namespace geyser::test {

inline TextureDescriptor host_frames_desc() {
  TextureDescriptor desc;
  desc.width = 64;
  desc.height = 48;
  desc.format = TextureFormat::Rgba8Unorm;
  return desc;
}

inline std::vector<std::uint8_t> host_frames_pattern(const TextureDescriptor& desc,
                                                     std::uint64_t frame) {
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  fill_test_pattern(pixels, desc.width, desc.height, format_info(desc.format).texel_size, frame);
  return pixels;
}

}  // namespace geyser::test
