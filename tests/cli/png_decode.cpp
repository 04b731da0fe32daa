// The one translation unit with stb_image's implementation (static: no stbi_* symbol
// leaves it), for reading back the PNGs the CLI writes.
#include "png_decode.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace geyser::cli_test {

std::optional<DecodedPng> decode_png(const std::string& path) {
  int width = 0;
  int height = 0;
  int channels = 0;
  stbi_uc* data = stbi_load(path.c_str(), &width, &height, &channels, 4);
  if (data == nullptr) return std::nullopt;
  DecodedPng png;
  png.width = static_cast<std::uint32_t>(width);
  png.height = static_cast<std::uint32_t>(height);
  png.channels_in_file = channels;
  png.rgba.assign(data, data + static_cast<std::size_t>(width) * height * 4);
  stbi_image_free(data);
  return png;
}

}  // namespace geyser::cli_test
