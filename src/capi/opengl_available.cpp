// geyser_api_available(GEYSER_API_OPENGL): the calling thread's current context decides.
// Asked through libEGL only if the process has loaded it: with no GL library loaded no
// context can be current, and calling GL (libepoxy) then would load one, or abort.
#include <dlfcn.h>

#include "apis.hpp"
#include "geyser/opengl/identity.hpp"

namespace geyser::capi {
namespace {

bool egl_context_is_current() {
  void* egl = ::dlopen("libEGL.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (egl == nullptr) return false;
  using GetCurrentContext = void* (*)();
  auto get = reinterpret_cast<GetCurrentContext>(::dlsym(egl, "eglGetCurrentContext"));
  const bool current = get != nullptr && get() != nullptr;  // EGL_NO_CONTEXT is null
  ::dlclose(egl);
  return current;
}

}  // namespace

Result<void> opengl_available() {
  if (!egl_context_is_current()) {
    return fail(ErrorCode::Unsupported,
                "OpenGL: no EGL context is current on this thread (make one current first)");
  }
  const opengl::GlCapabilities caps = opengl::capabilities();
  if (!caps.memory_object_fd) {
    return fail(ErrorCode::Unsupported, "OpenGL: the current context (" + caps.renderer +
                                            ") lacks GL_EXT_memory_object_fd");
  }
  return {};
}

}  // namespace geyser::capi
