// read_pixels: an imported texture's texels, tightly packed, through glGetTextureImage.
#include <cstddef>
#include <limits>
#include <string>

#include "geyser/format.hpp"
#include "geyser/opengl/texture.hpp"
#include "gl_call.hpp"

namespace geyser::opengl {
namespace {

// The pixel-pack state glGetTextureImage obeys, set for tightly packed client memory and
// restored on destruction, so that the application's state is as it was.
class TightPackState {
 public:
  TightPackState() noexcept {
    for (Saved& s : saved_) glGetIntegerv(s.name, &s.value);
    glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &pack_buffer_);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
    glPixelStorei(GL_PACK_SKIP_ROWS, 0);
    glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
    glPixelStorei(GL_PACK_SWAP_BYTES, GL_FALSE);
  }
  ~TightPackState() {
    for (const Saved& s : saved_) glPixelStorei(s.name, s.value);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(pack_buffer_));
  }
  TightPackState(const TightPackState&) = delete;
  TightPackState& operator=(const TightPackState&) = delete;

 private:
  struct Saved {
    GLenum name;
    GLint value;
  };
  Saved saved_[5] = {{GL_PACK_ALIGNMENT, 4},
                     {GL_PACK_ROW_LENGTH, 0},
                     {GL_PACK_SKIP_ROWS, 0},
                     {GL_PACK_SKIP_PIXELS, 0},
                     {GL_PACK_SWAP_BYTES, GL_FALSE}};
  GLint pack_buffer_ = 0;
};

}  // namespace

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
    const TightPackState pack;
    glGetTextureImage(texture.texture(), 0, texture.format().pixel_format,
                      texture.format().pixel_type, static_cast<GLsizei>(size), bytes.data());
    GEYSER_TRY_VOID(detail::check_gl("read_pixels: glGetTextureImage(" + describe(desc) + ")"));
  }
  return bytes;
}

}  // namespace geyser::opengl
