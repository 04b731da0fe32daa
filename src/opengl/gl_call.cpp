#include "gl_call.hpp"

#include <cstdio>

namespace geyser::opengl::detail {
namespace {

// glGetError returns one flag per call until all are read; an implementation has a few. A
// lost context may return GL_CONTEXT_LOST forever, so the loop is bounded.
constexpr int kMaxErrorFlags = 16;

ErrorCode code_for(GLenum error) noexcept {
  switch (error) {
    case GL_OUT_OF_MEMORY: return ErrorCode::OutOfMemory;
    case GL_INVALID_ENUM: return ErrorCode::Unsupported;
    case GL_CONTEXT_LOST: return ErrorCode::DeviceLost;
    default: return ErrorCode::Internal;
  }
}

}  // namespace

bool context_is_current() noexcept {
  return glGetString(GL_VERSION) != nullptr;
}

std::string gl_string(GLenum name) {
  const GLubyte* value = glGetString(name);
  return value == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(value));
}

void clear_gl_errors() noexcept {
  for (int i = 0; i < kMaxErrorFlags && glGetError() != GL_NO_ERROR; ++i) {
  }
}

Result<void> check_gl(std::string_view call) {
  const GLenum error = glGetError();
  if (error == GL_NO_ERROR) return {};
  clear_gl_errors();
  return fail(Error(code_for(error), std::string(call) + " failed: " + gl_error_string(error),
                    NativeDomain::GLenum, static_cast<std::int64_t>(error)));
}

std::string gl_error_string(GLenum error) {
  const char* name = "unknown GL error";
  switch (error) {
    case GL_NO_ERROR: name = "GL_NO_ERROR"; break;
    case GL_INVALID_ENUM: name = "GL_INVALID_ENUM"; break;
    case GL_INVALID_VALUE: name = "GL_INVALID_VALUE"; break;
    case GL_INVALID_OPERATION: name = "GL_INVALID_OPERATION"; break;
    case GL_INVALID_FRAMEBUFFER_OPERATION: name = "GL_INVALID_FRAMEBUFFER_OPERATION"; break;
    case GL_OUT_OF_MEMORY: name = "GL_OUT_OF_MEMORY"; break;
    case GL_STACK_OVERFLOW: name = "GL_STACK_OVERFLOW"; break;
    case GL_STACK_UNDERFLOW: name = "GL_STACK_UNDERFLOW"; break;
    case GL_CONTEXT_LOST: name = "GL_CONTEXT_LOST"; break;
    default: break;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%04X", static_cast<unsigned>(error));
  return std::string(name) + " (" + hex + ")";
}

}  // namespace geyser::opengl::detail
