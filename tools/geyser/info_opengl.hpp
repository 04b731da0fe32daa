// `geyser info`'s OpenGL part: the headless context it can make, its renderer, its
// identity and which interop extensions it has (docs/cli.md, docs/interop-opengl.md).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "geyser/device_identity.hpp"
#include "json.hpp"

namespace geyser::cli {

/// What `geyser info` found of OpenGL.
struct OpenGlReport {
  bool available = false;  ///< a headless context was made
  std::string reason;      ///< why not, when not
  std::string platform;    ///< "device" or "surfaceless"
  std::string renderer;
  std::string version;
  std::optional<DeviceIdentity> identity;  ///< none without GL_EXT_memory_object
  bool memory_object_fd = false;
  bool semaphore_fd = false;
  bool timeline_semaphore = false;
};

/// Makes a headless context (and destroys it again) to look; never fails.
[[nodiscard]] OpenGlReport gather_opengl();

/// The text lines. `vulkan` are the identities of the Vulkan devices listed above it, to
/// say which one the context shares textures with.
void print_opengl(std::ostream& out, const OpenGlReport& report,
                  const std::vector<DeviceIdentity>& vulkan);

/// The "opengl" object of `geyser info --json`.
[[nodiscard]] Json opengl_json(const OpenGlReport& report,
                               const std::vector<DeviceIdentity>& vulkan);

}  // namespace geyser::cli
