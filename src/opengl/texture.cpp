// GlTexture: the owner of an imported texture and its memory object.
#include <utility>

#include "geyser/opengl/texture.hpp"
#include "gl_call.hpp"
#include "gl_objects.hpp"

namespace geyser::opengl {

namespace detail {

// Deleting with no context current would reach no context (and, through epoxy, an
// extension entry point that may not be resolved yet); the names then leak with their
// context, as the header says.
void delete_texture(GLuint name) noexcept {
  if (name != 0 && context_is_current()) glDeleteTextures(1, &name);
}

void delete_memory_object(GLuint name) noexcept {
  if (name != 0 && context_is_current()) glDeleteMemoryObjectsEXT(1, &name);
}

}  // namespace detail

GlTexture::~GlTexture() {
  reset();
}

GlTexture::GlTexture(GlTexture&& other) noexcept
    : memory_(std::exchange(other.memory_, 0)),
      texture_(std::exchange(other.texture_, 0)),
      desc_(other.desc_),
      format_(other.format_) {}

GlTexture& GlTexture::operator=(GlTexture&& other) noexcept {
  if (this != &other) {
    reset();
    memory_ = std::exchange(other.memory_, 0);
    texture_ = std::exchange(other.texture_, 0);
    desc_ = other.desc_;
    format_ = other.format_;
  }
  return *this;
}

// The texture goes first: its storage refers to the memory object.
void GlTexture::reset() noexcept {
  detail::delete_texture(std::exchange(texture_, 0));
  detail::delete_memory_object(std::exchange(memory_, 0));
}

}  // namespace geyser::opengl
