// Geyser formats in OpenGL: the internal format is the format table's (format.hpp); this
// file adds the pixel format and type that read the texels back unchanged, and refuses the
// formats GL cannot import with the same memory layout.
#include <epoxy/gl.h>

#include <optional>
#include <string>

#include "geyser/format.hpp"
#include "geyser/opengl/texture.hpp"

namespace geyser::opengl {
namespace {

struct Transfer {
  GLenum pixel_format;
  GLenum pixel_type;
};

// The client format and type whose bytes are the texel's bytes as Vulkan stores them (what
// vulkan::readback returns). Packed formats use the GL packed types that match Vulkan's
// PACK32 bit layouts.
std::optional<Transfer> transfer_for(TextureFormat format) noexcept {
  using F = TextureFormat;
  switch (format) {
    case F::Rgba8Unorm:
    case F::Rgba8Srgb: return Transfer{GL_RGBA, GL_UNSIGNED_BYTE};
    case F::Rgba8Snorm: return Transfer{GL_RGBA, GL_BYTE};
    case F::Rgba8Uint: return Transfer{GL_RGBA_INTEGER, GL_UNSIGNED_BYTE};
    case F::R8Unorm: return Transfer{GL_RED, GL_UNSIGNED_BYTE};
    case F::Rg8Unorm: return Transfer{GL_RG, GL_UNSIGNED_BYTE};
    case F::R16Unorm: return Transfer{GL_RED, GL_UNSIGNED_SHORT};
    case F::Rg16Unorm: return Transfer{GL_RG, GL_UNSIGNED_SHORT};
    case F::Rgba16Unorm: return Transfer{GL_RGBA, GL_UNSIGNED_SHORT};
    case F::R16Float: return Transfer{GL_RED, GL_HALF_FLOAT};
    case F::Rg16Float: return Transfer{GL_RG, GL_HALF_FLOAT};
    case F::Rgba16Float: return Transfer{GL_RGBA, GL_HALF_FLOAT};
    case F::R16Uint: return Transfer{GL_RED_INTEGER, GL_UNSIGNED_SHORT};
    case F::R16Sint: return Transfer{GL_RED_INTEGER, GL_SHORT};
    case F::Rgba16Uint: return Transfer{GL_RGBA_INTEGER, GL_UNSIGNED_SHORT};
    case F::R32Float: return Transfer{GL_RED, GL_FLOAT};
    case F::Rg32Float: return Transfer{GL_RG, GL_FLOAT};
    case F::Rgba32Float: return Transfer{GL_RGBA, GL_FLOAT};
    case F::R32Uint: return Transfer{GL_RED_INTEGER, GL_UNSIGNED_INT};
    case F::R32Sint: return Transfer{GL_RED_INTEGER, GL_INT};
    case F::Rgb10a2Unorm: return Transfer{GL_RGBA, GL_UNSIGNED_INT_2_10_10_10_REV};
    case F::Rg11b10Float: return Transfer{GL_RGB, GL_UNSIGNED_INT_10F_11F_11F_REV};
    default: return std::nullopt;
  }
}

}  // namespace

Result<GlFormat> gl_format(TextureFormat format) {
  const FormatInfo& info = format_info(format);
  // Desktop GL has no BGRA internal format (GL_BGRA8_EXT is OpenGL ES only), and importing
  // B8G8R8A8 memory as GL_RGBA8 relies on a layout no extension promises.
  if (info.bgra) {
    return fail(ErrorCode::Unsupported,
                "gl_format: " + std::string(info.name) +
                    " has no OpenGL internal format with its memory layout (desktop GL has no "
                    "BGRA storage); share an RGBA format with OpenGL");
  }
  const std::optional<Transfer> transfer = transfer_for(format);
  if (info.kind != FormatKind::Color || !transfer) {
    return fail(ErrorCode::Unsupported, "gl_format: " + std::string(info.name) +
                                            " is not imported into OpenGL (depth formats are not "
                                            "supported yet)");
  }
  return GlFormat{info.gl_internal_format, transfer->pixel_format, transfer->pixel_type};
}

}  // namespace geyser::opengl
