// PNG output for `geyser recv --png` and `geyser demo --png` (stb_image_write).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "geyser/error.hpp"
#include "geyser/format.hpp"

namespace geyser::cli {

/// Whether write_png can write `format`: the 8-bit RGBA and BGRA formats.
[[nodiscard]] bool png_supported(TextureFormat format) noexcept;

/// Writes tightly packed `pixels` of `format` (png_supported) as an 8-bit RGBA PNG; BGRA
/// texels are swizzled to RGBA first. Validation for another format or a wrong size,
/// Internal when the file cannot be written.
[[nodiscard]] Result<void> write_png(const std::filesystem::path& path,
                                     std::span<const std::uint8_t> pixels, std::uint32_t width,
                                     std::uint32_t height, TextureFormat format);

}  // namespace geyser::cli
