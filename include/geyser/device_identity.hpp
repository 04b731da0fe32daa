// Which driver and which device made a handle: opaque handles are valid only between the
// same driver and device (docs/architecture.md, rule 1).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace geyser {

using Uuid = std::array<std::uint8_t, 16>;

/// "6d657361-3232-2e33-2e36-000000000000".
[[nodiscard]] std::string to_string(const Uuid& uuid);
/// True when every byte is zero: an unknown identity.
[[nodiscard]] bool is_zero(const Uuid& uuid) noexcept;

/// The driver and device UUIDs as Vulkan (VkPhysicalDeviceIDProperties), OpenGL
/// (GL_DRIVER_UUID_EXT / GL_DEVICE_UUID_EXT) and CUDA (cuDeviceGetUuid) report them.
struct DeviceIdentity {
  Uuid driver_uuid{};
  Uuid device_uuid{};

  /// Both UUIDs are non-zero.
  [[nodiscard]] bool known() const noexcept {
    return !is_zero(driver_uuid) && !is_zero(device_uuid);
  }
  /// Handles may pass between the two: both known and equal. An unknown identity never matches.
  [[nodiscard]] bool compatible_with(const DeviceIdentity& other) const noexcept {
    return known() && other.known() && driver_uuid == other.driver_uuid &&
           device_uuid == other.device_uuid;
  }
  friend bool operator==(const DeviceIdentity&, const DeviceIdentity&) = default;
};

}  // namespace geyser
