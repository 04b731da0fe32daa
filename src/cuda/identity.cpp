// The identity rule of geyser/cuda/identity.hpp.
#include "geyser/cuda/identity.hpp"

#include <string>

namespace geyser::cuda {

Result<void> check_identity(const DeviceInfo& device, const DeviceIdentity& handle) {
  const std::string ours = "CUDA device " + std::to_string(device.ordinal) + " (" + device.name +
                           ") is " + to_string(device.uuid);
  if (is_zero(handle.device_uuid)) {
    return fail(ErrorCode::DeviceMismatch,
                "the handle's device UUID is unknown (all zero), so it cannot be matched; " + ours);
  }
  if (is_zero(device.uuid) || handle.device_uuid != device.uuid) {
    return fail(ErrorCode::DeviceMismatch, "the handle comes from device " +
                                               to_string(handle.device_uuid) + " (driver " +
                                               to_string(handle.driver_uuid) + "), " + ours);
  }
  return {};
}

Result<DeviceIdentity> identity_for(const DeviceInfo& device,
                                    std::span<const DeviceIdentity> vulkan_devices) {
  if (!is_zero(device.uuid)) {
    for (const DeviceIdentity& identity : vulkan_devices) {
      if (identity.device_uuid == device.uuid && identity.known()) return identity;
    }
  }
  std::string seen;
  for (const DeviceIdentity& identity : vulkan_devices) {
    if (!seen.empty()) seen += ", ";
    seen += to_string(identity.device_uuid);
  }
  return fail(ErrorCode::Unsupported,
              "no Vulkan device reports CUDA device " + std::to_string(device.ordinal) + " (" +
                  device.name + ")'s UUID " + to_string(device.uuid) +
                  ", so there is no driver UUID to share textures with (Vulkan devices: " +
                  (seen.empty() ? std::string("none") : seen) + ")");
}

}  // namespace geyser::cuda
