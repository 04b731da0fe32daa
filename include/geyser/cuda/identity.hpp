// How Geyser decides that a handle can be imported on a CUDA device (docs/architecture.md,
// rule 1; docs/interop-cuda.md, "Identity").
//
// CUDA reports a device UUID (cuDeviceGetUuid) and no driver UUID. On NVIDIA drivers the
// CUDA device UUID of a GPU equals the deviceUUID Vulkan reports for it
// (VkPhysicalDeviceIDProperties; seen on the H200, ../shared/gpu/README.md), so an import
// is accepted when the handle's device UUID equals the CUDA device's UUID. The driver UUID
// is not compared: CUDA has none to compare with, and a device UUID names one GPU of one
// driver already. Where a full DeviceIdentity is needed (a channel's Hello), it is the one
// a Vulkan device of the same GPU reports: identity_for below.
#pragma once

#include <span>

#include "geyser/cuda/device.hpp"
#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

/// Success when `handle` (a handle's identity) names `device`: its device UUID is known
/// and equals device.uuid. DeviceMismatch naming both UUIDs otherwise.
[[nodiscard]] Result<void> check_identity(const DeviceInfo& device, const DeviceIdentity& handle);

/// The DeviceIdentity that a Vulkan device of the same GPU as `device` reports: the entry of
/// `vulkan_devices` whose device UUID equals device.uuid. Unsupported naming the UUID when
/// none does (no Vulkan driver for that GPU, so no driver UUID to say Hello with).
[[nodiscard]] Result<DeviceIdentity> identity_for(const DeviceInfo& device,
                                                  std::span<const DeviceIdentity> vulkan_devices);

}  // namespace geyser::cuda
