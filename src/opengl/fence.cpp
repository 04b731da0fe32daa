// GlFence: glFenceSync and glClientWaitSync with a bound.
#include "geyser/opengl/fence.hpp"

#include <epoxy/gl.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "gl_call.hpp"

namespace geyser::opengl {
namespace {

GLsync as_sync(void* sync) noexcept {
  return static_cast<GLsync>(sync);
}

void delete_sync(void* sync) noexcept {
  if (sync != nullptr && detail::context_is_current()) glDeleteSync(as_sync(sync));
}

}  // namespace

Result<GlFence> GlFence::insert() {
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation, "GlFence::insert: no OpenGL context is current");
  }
  detail::clear_gl_errors();
  GLsync sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (sync == nullptr) {
    GEYSER_TRY_VOID(detail::check_gl("glFenceSync"));
    return fail(ErrorCode::Internal, "glFenceSync returned no sync object");
  }
  glFlush();  // so that a later client wait can return at all
  return GlFence(sync);
}

GlFence::~GlFence() {
  delete_sync(sync_);
}

GlFence& GlFence::operator=(GlFence&& other) noexcept {
  if (this != &other) {
    delete_sync(sync_);
    sync_ = std::exchange(other.sync_, nullptr);
  }
  return *this;
}

bool GlFence::signalled() const {
  if (sync_ == nullptr) return true;
  const GLenum status = glClientWaitSync(as_sync(sync_), 0, 0);
  return status == GL_ALREADY_SIGNALED || status == GL_CONDITION_SATISFIED;
}

Result<void> GlFence::wait(std::chrono::nanoseconds timeout) const {
  if (sync_ == nullptr) return {};
  const auto ns = static_cast<GLuint64>(std::max<std::int64_t>(timeout.count(), 0));
  detail::clear_gl_errors();
  switch (glClientWaitSync(as_sync(sync_), GL_SYNC_FLUSH_COMMANDS_BIT, ns)) {
    case GL_ALREADY_SIGNALED:
    case GL_CONDITION_SATISFIED: return {};
    case GL_TIMEOUT_EXPIRED:
      return fail(ErrorCode::Timeout, "glClientWaitSync: OpenGL's commands did not finish within " +
                                          std::to_string(timeout.count() / 1000000) + " ms");
    default:
      GEYSER_TRY_VOID(detail::check_gl("glClientWaitSync"));
      return fail(ErrorCode::DeviceLost, "glClientWaitSync returned GL_WAIT_FAILED");
  }
}

Result<void> finish(std::chrono::nanoseconds timeout) {
  GEYSER_TRY(const GlFence fence, GlFence::insert());
  return fence.wait(timeout);
}

}  // namespace geyser::opengl
