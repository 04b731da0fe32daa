// Whether an API's ends can work now, for geyser_api_available: one definition per API
// file, or its *_missing.cpp stand-in.
#pragma once

#include "geyser/error.hpp"

namespace geyser::capi {

/// OK when an OpenGL context is current on the calling thread and can import Geyser's
/// memory (GL_EXT_memory_object_fd); Unsupported naming what is missing otherwise.
[[nodiscard]] Result<void> opengl_available();

}  // namespace geyser::capi
