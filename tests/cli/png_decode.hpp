// Decodes a PNG (stb_image) into 8-bit RGBA.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace geyser::cli_test {

struct DecodedPng {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int channels_in_file = 0;        ///< what the file stores (4 for the CLI's PNGs)
  std::vector<std::uint8_t> rgba;  ///< width * height * 4 bytes
};

/// nullopt when the file is missing or not a PNG.
[[nodiscard]] std::optional<DecodedPng> decode_png(const std::string& path);

}  // namespace geyser::cli_test
