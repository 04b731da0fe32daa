// Helpers around GL calls in geyser::opengl: the current context, strings, error checks
// (every GL call that can fail is followed by check_gl).
#pragma once

#include <epoxy/gl.h>

#include <string>
#include <string_view>

#include "geyser/error.hpp"

namespace geyser::opengl::detail {

/// Whether a GL context is current on this thread, whatever made it (EGL, GLX): GL calls
/// without one return nothing (glGetString returns NULL).
[[nodiscard]] bool context_is_current() noexcept;

/// glGetString(name) as a string; empty when there is none.
[[nodiscard]] std::string gl_string(GLenum name);

/// Reads and drops errors left by earlier calls, so that check_gl reports only its own.
void clear_gl_errors() noexcept;

/// The first error since clear_gl_errors as an Error naming `call`: GL_OUT_OF_MEMORY is
/// OutOfMemory, GL_INVALID_ENUM Unsupported (the driver does not take a value), the rest
/// Internal. The native code is the GLenum.
[[nodiscard]] Result<void> check_gl(std::string_view call);

/// "GL_INVALID_OPERATION (0x0502)".
[[nodiscard]] std::string gl_error_string(GLenum error);

}  // namespace geyser::opengl::detail
