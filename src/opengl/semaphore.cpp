// GlTimelineSemaphore: Vulkan timeline semaphores in GL (GL_EXT_semaphore_fd,
// GL_NV_timeline_semaphore).
#include "geyser/opengl/semaphore.hpp"

#include <epoxy/egl.h>

#include <string>
#include <utility>

#include "gl_call.hpp"

namespace geyser::opengl {
namespace {

// GL_NV_timeline_semaphore, newer than Debian 12's libepoxy: its tokens and entry points.
constexpr GLenum kSemaphoreTypeNv = 0x95B3;
constexpr GLint kSemaphoreTypeTimelineNv = 0x95B5;
constexpr GLenum kTimelineSemaphoreValueNv = 0x9595;
using CreateSemaphoresNv = void (*)(GLsizei, GLuint*);
using SemaphoreParameterivNv = void (*)(GLuint, GLenum, const GLint*);

struct NvEntryPoints {
  CreateSemaphoresNv create = nullptr;
  SemaphoreParameterivNv parameteriv = nullptr;
};

// Resolved through EGL, which returns GL entry points whatever the context (EGL 1.5).
NvEntryPoints nv_entry_points() {
  static const NvEntryPoints points{
      reinterpret_cast<CreateSemaphoresNv>(eglGetProcAddress("glCreateSemaphoresNV")),
      reinterpret_cast<SemaphoreParameterivNv>(eglGetProcAddress("glSemaphoreParameterivNV"))};
  return points;
}

Result<void> check_importable() {
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation, "GlTimelineSemaphore::import: no OpenGL context is current");
  }
  for (const char* ext : {"GL_EXT_semaphore_fd", "GL_NV_timeline_semaphore"}) {
    if (!epoxy_has_gl_extension(ext)) {
      return fail(ErrorCode::Unsupported,
                  std::string("GlTimelineSemaphore::import: the context lacks ") + ext + " (" +
                      detail::gl_string(GL_RENDERER) + ")");
    }
  }
  const NvEntryPoints nv = nv_entry_points();
  if (nv.create == nullptr || nv.parameteriv == nullptr) {
    return fail(ErrorCode::Unsupported,
                "GlTimelineSemaphore::import: eglGetProcAddress has no glCreateSemaphoresNV");
  }
  return {};
}

void delete_semaphore(GLuint name) noexcept {
  if (name != 0 && detail::context_is_current()) glDeleteSemaphoresEXT(1, &name);
}

}  // namespace

std::uint32_t to_gl_enum(GlLayout layout) noexcept {
  switch (layout) {
    case GlLayout::General: return GL_LAYOUT_GENERAL_EXT;
    case GlLayout::ColorAttachment: return GL_LAYOUT_COLOR_ATTACHMENT_EXT;
    case GlLayout::ShaderReadOnly: return GL_LAYOUT_SHADER_READ_ONLY_EXT;
    case GlLayout::TransferSrc: return GL_LAYOUT_TRANSFER_SRC_EXT;
    case GlLayout::TransferDst: return GL_LAYOUT_TRANSFER_DST_EXT;
  }
  return GL_NONE;
}

bool can_import_timeline_semaphores() {
  return detail::context_is_current() && epoxy_has_gl_extension("GL_EXT_semaphore_fd") &&
         epoxy_has_gl_extension("GL_NV_timeline_semaphore") &&
         nv_entry_points().create != nullptr && nv_entry_points().parameteriv != nullptr;
}

Result<GlTimelineSemaphore> GlTimelineSemaphore::import(const UniqueHandle& fd) {
  GEYSER_TRY_VOID(check_importable());
  if (!fd.valid()) {
    return fail(ErrorCode::Validation, "GlTimelineSemaphore::import: the fd is not valid");
  }
  detail::clear_gl_errors();
  GLuint name = 0;
  nv_entry_points().create(1, &name);
  GlTimelineSemaphore semaphore(name);  // deletes the name on every failure below
  GEYSER_TRY_VOID(detail::check_gl("glCreateSemaphoresNV"));
  nv_entry_points().parameteriv(name, kSemaphoreTypeNv, &kSemaphoreTypeTimelineNv);
  GEYSER_TRY_VOID(detail::check_gl("glSemaphoreParameterivNV(GL_SEMAPHORE_TYPE_TIMELINE_NV)"));
  GEYSER_TRY(UniqueHandle dup, fd.duplicate());
  glImportSemaphoreFdEXT(name, GL_HANDLE_TYPE_OPAQUE_FD_EXT, dup.get());
  // As for memory: GL owns the fd after a successful import only.
  GEYSER_TRY_VOID(detail::check_gl("glImportSemaphoreFdEXT(GL_HANDLE_TYPE_OPAQUE_FD_EXT)"));
  (void)dup.release();
  return semaphore;
}

GlTimelineSemaphore::~GlTimelineSemaphore() {
  delete_semaphore(name_);
}

GlTimelineSemaphore::GlTimelineSemaphore(GlTimelineSemaphore&& other) noexcept
    : name_(std::exchange(other.name_, 0)) {}

GlTimelineSemaphore& GlTimelineSemaphore::operator=(GlTimelineSemaphore&& other) noexcept {
  if (this != &other) {
    delete_semaphore(name_);
    name_ = std::exchange(other.name_, 0);
  }
  return *this;
}

Result<void> GlTimelineSemaphore::wait(std::uint64_t value, std::uint32_t texture,
                                       GlLayout layout) const {
  detail::clear_gl_errors();
  const GLuint64 v = value;
  glSemaphoreParameterui64vEXT(name_, kTimelineSemaphoreValueNv, &v);
  const GLenum gl_layout = to_gl_enum(layout);
  glWaitSemaphoreEXT(name_, 0, nullptr, texture != 0 ? 1 : 0, &texture, &gl_layout);
  return detail::check_gl("glWaitSemaphoreEXT(value " + std::to_string(value) + ")");
}

Result<void> GlTimelineSemaphore::signal(std::uint64_t value, std::uint32_t texture,
                                         GlLayout layout) const {
  detail::clear_gl_errors();
  const GLuint64 v = value;
  glSemaphoreParameterui64vEXT(name_, kTimelineSemaphoreValueNv, &v);
  const GLenum gl_layout = to_gl_enum(layout);
  glSignalSemaphoreEXT(name_, 0, nullptr, texture != 0 ? 1 : 0, &texture, &gl_layout);
  GEYSER_TRY_VOID(detail::check_gl("glSignalSemaphoreEXT(value " + std::to_string(value) + ")"));
  glFlush();
  return {};
}

}  // namespace geyser::opengl
