#include "png.hpp"

#include <cerrno>
#include <string>
#include <vector>

// The one translation unit with stb_image_write's implementation. STB_IMAGE_WRITE_STATIC
// makes its functions static, so no stbi_write_* symbol leaves this file and nothing
// (libstb.so, another library that embeds stb) can clash with it at link time.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace geyser::cli {

bool png_supported(TextureFormat format) noexcept {
  switch (format) {
    case TextureFormat::Rgba8Unorm:
    case TextureFormat::Rgba8Srgb:
    case TextureFormat::Bgra8Unorm:
    case TextureFormat::Bgra8Srgb: return true;
    default: return false;
  }
}

Result<void> write_png(const std::filesystem::path& path, std::span<const std::uint8_t> pixels,
                       std::uint32_t width, std::uint32_t height, TextureFormat format) {
  if (!png_supported(format)) {
    return fail(ErrorCode::Validation,
                "PNG output needs an 8-bit RGBA or BGRA format (Rgba8Unorm, Rgba8Srgb, "
                "Bgra8Unorm, Bgra8Srgb), not " +
                    std::string(to_string(format)));
  }
  const std::size_t size = std::size_t{width} * height * 4;
  if (pixels.size() != size) {
    return fail(ErrorCode::Validation, "write_png: " + std::to_string(pixels.size()) +
                                           " bytes for a " + std::to_string(width) + "x" +
                                           std::to_string(height) + " image of 4-byte texels");
  }
  std::vector<std::uint8_t> rgba(pixels.begin(), pixels.end());
  if (format_info(format).bgra) {
    for (std::size_t i = 0; i < rgba.size(); i += 4) std::swap(rgba[i], rgba[i + 2]);
  }
  errno = 0;
  const int ok =
      stbi_write_png(path.string().c_str(), static_cast<int>(width), static_cast<int>(height), 4,
                     rgba.data(), static_cast<int>(width * 4));
  if (ok == 0) {
    return tl::unexpected(
        Error::from_errno(ErrorCode::Internal, "cannot write PNG " + path.string(), errno));
  }
  return {};
}

}  // namespace geyser::cli
