// geyser_api_available(GEYSER_API_OPENGL): the calling thread's current context decides.
#include "apis.hpp"
#include "geyser/opengl/identity.hpp"

namespace geyser::capi {

Result<void> opengl_available() {
  const opengl::GlCapabilities caps = opengl::capabilities();
  if (caps.renderer.empty()) {
    return fail(ErrorCode::Unsupported,
                "OpenGL: no context is current on this thread (make an EGL context current "
                "first)");
  }
  if (!caps.memory_object_fd) {
    return fail(ErrorCode::Unsupported, "OpenGL: the current context (" + caps.renderer +
                                            ") lacks GL_EXT_memory_object_fd");
  }
  return {};
}

}  // namespace geyser::capi
