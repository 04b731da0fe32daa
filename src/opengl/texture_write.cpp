// write_pixels: tightly packed texels into an imported texture, through glTextureSubImage2D.
#include <cstddef>
#include <string>

#include "geyser/format.hpp"
#include "geyser/opengl/texture.hpp"
#include "gl_call.hpp"
#include "pixel_store.hpp"

namespace geyser::opengl {

Result<void> write_pixels(const GlTexture& texture, std::span<const std::uint8_t> bytes) {
  if (!texture.valid()) return fail(ErrorCode::Validation, "write_pixels: empty GlTexture");
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation, "write_pixels: no OpenGL context is current");
  }
  const TextureDescriptor& desc = texture.descriptor();
  const std::size_t size =
      static_cast<std::size_t>(desc.width) * desc.height * format_info(desc.format).texel_size;
  if (bytes.size() != size) {
    return fail(ErrorCode::Validation, "write_pixels: " + std::to_string(bytes.size()) +
                                           " bytes given, " + describe(desc) + " holds " +
                                           std::to_string(size));
  }
  detail::clear_gl_errors();
  const detail::TightPixelStore unpack(detail::PixelDirection::Unpack);
  glTextureSubImage2D(texture.texture(), 0, 0, 0, static_cast<GLsizei>(desc.width),
                      static_cast<GLsizei>(desc.height), texture.format().pixel_format,
                      texture.format().pixel_type, bytes.data());
  return detail::check_gl("write_pixels: glTextureSubImage2D(" + describe(desc) + ")");
}

}  // namespace geyser::opengl
