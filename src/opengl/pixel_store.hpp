// The pixel-store state that glGetTextureImage (pack) and glTextureSubImage2D (unpack) obey,
// set for tightly packed client memory for one call and restored afterwards, so that the
// application's own state is as it was.
#pragma once

#include <epoxy/gl.h>

namespace geyser::opengl::detail {

enum class PixelDirection : bool { Pack, Unpack };

class TightPixelStore {
 public:
  explicit TightPixelStore(PixelDirection direction) noexcept;
  ~TightPixelStore();
  TightPixelStore(const TightPixelStore&) = delete;
  TightPixelStore& operator=(const TightPixelStore&) = delete;

 private:
  struct Saved {
    GLenum name;
    GLint value;
  };
  Saved saved_[5];
  GLenum buffer_target_;
  GLint buffer_ = 0;
};

}  // namespace geyser::opengl::detail
