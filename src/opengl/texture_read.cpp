// read_pixels: an imported texture's texels, tightly packed, through glGetTextureImage.
#include <cstddef>
#include <limits>
#include <string>

#include "geyser/format.hpp"
#include "geyser/opengl/texture.hpp"
#include "gl_call.hpp"
#include "pixel_store.hpp"

namespace geyser::opengl {

// GL's first row is row 0 of the image memory, which is Vulkan's row 0 (the top): the bytes
// come back in Vulkan's order, with no flip (tests/opengl/import_test.cpp checks it).
Result<std::vector<std::uint8_t>> read_pixels(const GlTexture& texture) {
  if (!texture.valid()) return fail(ErrorCode::Validation, "read_pixels: empty GlTexture");
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation, "read_pixels: no OpenGL context is current");
  }
  const TextureDescriptor& desc = texture.descriptor();
  const std::size_t size =
      static_cast<std::size_t>(desc.width) * desc.height * format_info(desc.format).texel_size;
  if (size > static_cast<std::size_t>(std::numeric_limits<GLsizei>::max())) {
    return fail(ErrorCode::Unsupported, "read_pixels: " + describe(desc) +
                                            " is larger than glGetTextureImage's bufSize can say");
  }
  std::vector<std::uint8_t> bytes(size);
  detail::clear_gl_errors();
  {
    const detail::TightPixelStore pack(detail::PixelDirection::Pack);
    glGetTextureImage(texture.texture(), 0, texture.format().pixel_format,
                      texture.format().pixel_type, static_cast<GLsizei>(size), bytes.data());
    GEYSER_TRY_VOID(detail::check_gl("read_pixels: glGetTextureImage(" + describe(desc) + ")"));
  }
  return bytes;
}

}  // namespace geyser::opengl
