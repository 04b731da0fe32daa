// TightPixelStore: client memory with no row padding, no skips, no bound pixel buffer.
#include "pixel_store.hpp"

namespace geyser::opengl::detail {
namespace {

constexpr GLenum kPack[5] = {GL_PACK_ALIGNMENT, GL_PACK_ROW_LENGTH, GL_PACK_SKIP_ROWS,
                             GL_PACK_SKIP_PIXELS, GL_PACK_SWAP_BYTES};
constexpr GLenum kUnpack[5] = {GL_UNPACK_ALIGNMENT, GL_UNPACK_ROW_LENGTH, GL_UNPACK_SKIP_ROWS,
                               GL_UNPACK_SKIP_PIXELS, GL_UNPACK_SWAP_BYTES};
// Alignment 1, everything else 0 (GL_FALSE for the byte swap).
constexpr GLint kTight[5] = {1, 0, 0, 0, 0};

}  // namespace

TightPixelStore::TightPixelStore(PixelDirection direction) noexcept
    : saved_{},
      buffer_target_(direction == PixelDirection::Pack ? GL_PIXEL_PACK_BUFFER
                                                       : GL_PIXEL_UNPACK_BUFFER) {
  const GLenum* names = direction == PixelDirection::Pack ? kPack : kUnpack;
  for (int i = 0; i < 5; ++i) {
    saved_[i].name = names[i];
    glGetIntegerv(names[i], &saved_[i].value);
    glPixelStorei(names[i], kTight[i]);
  }
  glGetIntegerv(direction == PixelDirection::Pack ? GL_PIXEL_PACK_BUFFER_BINDING
                                                  : GL_PIXEL_UNPACK_BUFFER_BINDING,
                &buffer_);
  glBindBuffer(buffer_target_, 0);
}

TightPixelStore::~TightPixelStore() {
  for (const Saved& s : saved_) glPixelStorei(s.name, s.value);
  glBindBuffer(buffer_target_, static_cast<GLuint>(buffer_));
}

}  // namespace geyser::opengl::detail
