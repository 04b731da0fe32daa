// Owners of the GL objects an import creates, so that every failure path deletes them.
#pragma once

#include <epoxy/gl.h>

#include <utility>

namespace geyser::opengl::detail {

/// Deletes texture `name` in the current context; nothing when none is current or name is 0.
void delete_texture(GLuint name) noexcept;
/// Deletes memory object `name` in the current context; nothing when none is current or
/// name is 0.
void delete_memory_object(GLuint name) noexcept;

/// Move-only owner of one GL object name, deleted with `Delete` in the current context.
template <void (*Delete)(GLuint) noexcept>
class GlName {
 public:
  explicit GlName(GLuint name = 0) noexcept : name_(name) {}
  ~GlName() { Delete(name_); }
  GlName(GlName&& other) noexcept : name_(other.release()) {}
  GlName& operator=(GlName&& other) noexcept {
    if (this != &other) {
      Delete(name_);
      name_ = other.release();
    }
    return *this;
  }
  GlName(const GlName&) = delete;
  GlName& operator=(const GlName&) = delete;

  [[nodiscard]] GLuint get() const noexcept { return name_; }
  [[nodiscard]] GLuint release() noexcept { return std::exchange(name_, 0); }

 private:
  GLuint name_;
};

using TextureName = GlName<delete_texture>;
using MemoryObjectName = GlName<delete_memory_object>;

}  // namespace geyser::opengl::detail
