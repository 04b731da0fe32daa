// The EGL displays a HeadlessContext may be made on, and their initialization.
#pragma once

#include <epoxy/egl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/opengl/context.hpp"

namespace geyser::opengl::detail {

/// One display to try, not yet initialized.
struct DisplayCandidate {
  EGLDisplay display = EGL_NO_DISPLAY;
  EglPlatform platform = EglPlatform::Surfaceless;
  std::string label;  ///< "EGL_EXT_platform_device device 0", for messages
  /// The device's position in eglQueryDevicesEXT's list; none for the surfaceless display.
  std::optional<std::uint32_t> device_index;
};

/// The displays to try, in order: each EGL device (EGL_EXT_platform_device), then Mesa's
/// surfaceless display. A platform that gives none appends why to `skipped`.
[[nodiscard]] std::vector<DisplayCandidate> display_candidates(std::vector<std::string>& skipped);

/// Initializes `display` for one more user. EGL displays are process-wide singletons and
/// one eglTerminate ends every user's, so this process initializes each once and
/// terminates it with its last user (release_display). Unsupported naming the EGL error.
[[nodiscard]] Result<void> acquire_display(EGLDisplay display, const std::string& label);
/// One user fewer; the last one terminates the display.
void release_display(EGLDisplay display) noexcept;

/// "EGL_BAD_MATCH (0x3009)".
[[nodiscard]] std::string egl_error_string(EGLint error);

}  // namespace geyser::opengl::detail
