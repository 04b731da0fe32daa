// Internal: the hidden Vulkan device an OpenGL sender allocates its slots on: the physical
// device whose driver and device UUIDs are those of the current GL context.
#pragma once

#include <memory>

#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::opengl::detail {

/// A headless Vulkan device with `identity` (validation as GEYSER_VALIDATION says). The
/// calling thread's EGL context is current again afterwards, whatever the driver did.
/// Unsupported with no Vulkan at all; DeviceMismatch naming the devices seen when none
/// has `identity`.
[[nodiscard]] Result<std::unique_ptr<vulkan::Device>> vulkan_twin(const DeviceIdentity& identity);

}  // namespace geyser::opengl::detail
