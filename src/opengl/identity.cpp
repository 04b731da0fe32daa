// The current context's identity and interop capabilities.
#include "geyser/opengl/identity.hpp"

#include <epoxy/gl.h>

#include "gl_call.hpp"

namespace geyser::opengl {
namespace {

static_assert(GL_UUID_SIZE_EXT == std::tuple_size_v<Uuid>, "GL and Geyser UUIDs differ in size");

Result<void> require_memory_object(std::string_view who) {
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation,
                std::string(who) + ": no OpenGL context is current on this thread");
  }
  if (!epoxy_has_gl_extension("GL_EXT_memory_object")) {
    return fail(ErrorCode::Unsupported, std::string(who) +
                                            ": the context lacks GL_EXT_memory_object (renderer " +
                                            detail::gl_string(GL_RENDERER) + ")");
  }
  return {};
}

}  // namespace

Result<DeviceIdentity> current_identity() {
  GEYSER_TRY_VOID(require_memory_object("current_identity"));
  detail::clear_gl_errors();
  DeviceIdentity identity;
  glGetUnsignedBytevEXT(GL_DRIVER_UUID_EXT, identity.driver_uuid.data());
  GEYSER_TRY_VOID(detail::check_gl("current_identity: glGetUnsignedBytevEXT(GL_DRIVER_UUID_EXT)"));
  GLint devices = 0;
  glGetIntegerv(GL_NUM_DEVICE_UUIDS_EXT, &devices);
  GEYSER_TRY_VOID(detail::check_gl("current_identity: glGetIntegerv(GL_NUM_DEVICE_UUIDS_EXT)"));
  if (devices < 1) {
    return fail(ErrorCode::Unsupported,
                "current_identity: GL_NUM_DEVICE_UUIDS_EXT is " + std::to_string(devices));
  }
  glGetUnsignedBytei_vEXT(GL_DEVICE_UUID_EXT, 0, identity.device_uuid.data());
  GEYSER_TRY_VOID(
      detail::check_gl("current_identity: glGetUnsignedBytei_vEXT(GL_DEVICE_UUID_EXT, 0)"));
  return identity;
}

GlCapabilities capabilities() {
  GlCapabilities caps;
  if (!detail::context_is_current()) return caps;
  caps.memory_object = epoxy_has_gl_extension("GL_EXT_memory_object");
  caps.memory_object_fd = epoxy_has_gl_extension("GL_EXT_memory_object_fd");
  caps.semaphore = epoxy_has_gl_extension("GL_EXT_semaphore");
  caps.semaphore_fd = epoxy_has_gl_extension("GL_EXT_semaphore_fd");
  caps.timeline_semaphore = epoxy_has_gl_extension("GL_NV_timeline_semaphore");
  caps.direct_state_access = (epoxy_is_desktop_gl() && epoxy_gl_version() >= 45) ||
                             epoxy_has_gl_extension("GL_ARB_direct_state_access");
  caps.renderer = detail::gl_string(GL_RENDERER);
  caps.version = detail::gl_string(GL_VERSION);
  return caps;
}

}  // namespace geyser::opengl
