// What the current OpenGL context is: its driver and device (for handle identity checks,
// docs/architecture.md rule 1) and which interop extensions it has.
#pragma once

#include <string>

#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser::opengl {

/// The driver and device UUIDs of the context current on the calling thread, from
/// GL_EXT_memory_object: glGetUnsignedBytevEXT(GL_DRIVER_UUID_EXT) and
/// glGetUnsignedBytei_vEXT(GL_DEVICE_UUID_EXT, 0) (the first device of a multi-device
/// context). Validation when no context is current; Unsupported when the context lacks
/// GL_EXT_memory_object; Internal naming the GL call when a query fails.
[[nodiscard]] Result<DeviceIdentity> current_identity();

/// The interop the current context offers. All false and empty when no context is current.
struct GlCapabilities {
  bool memory_object = false;        ///< GL_EXT_memory_object (identity, memory objects)
  bool memory_object_fd = false;     ///< GL_EXT_memory_object_fd (import of opaque fds)
  bool semaphore = false;            ///< GL_EXT_semaphore
  bool semaphore_fd = false;         ///< GL_EXT_semaphore_fd
  bool timeline_semaphore = false;   ///< GL_NV_timeline_semaphore
  bool direct_state_access = false;  ///< OpenGL 4.5 or GL_ARB_direct_state_access
  std::string renderer;              ///< GL_RENDERER
  std::string version;               ///< GL_VERSION
};

/// What the context current on the calling thread can do.
[[nodiscard]] GlCapabilities capabilities();

}  // namespace geyser::opengl
