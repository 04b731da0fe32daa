// A headless Vulkan device chosen by a DeviceSelector (geyser/device_selector.hpp): what
// `--device SPEC` and geyser_device_options resolve to.
#pragma once

#include <vector>

#include "geyser/device_selector.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan {

/// The physical devices as a selector sees them (index, name, deviceUUID). Unsupported
/// without a Vulkan loader or driver (list_physical_devices).
[[nodiscard]] Result<std::vector<ListedDevice>> listed_devices();

/// Device::create_headless on the device `selector` names: its index, UUID and name replace
/// `options`' device_index, device_uuid and device_name_contains. Validation naming the
/// selector and listing the devices when no physical device is what it asks for; otherwise
/// as create_headless (Unsupported when the device lacks what Geyser needs). An empty
/// selector is create_headless(options) as it is.
[[nodiscard]] Result<Device> create_selected(const DeviceSelector& selector,
                                             HeadlessOptions options = {});

}  // namespace geyser::vulkan
