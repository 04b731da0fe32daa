// A CUDA device's primary context chosen by a DeviceSelector (geyser/device_selector.hpp):
// what `--api cuda --device SPEC` and geyser_device_options resolve to.
#pragma once

#include <vector>

#include "geyser/cuda/device.hpp"
#include "geyser/device_selector.hpp"

namespace geyser::cuda {

/// The devices of `driver` as a selector sees them (ordinal, name, UUID).
[[nodiscard]] Result<std::vector<ListedDevice>> listed_devices(const Driver& driver);

/// The primary context of the first device `selector` matches (its index is the ordinal);
/// an empty selector is device 0. Validation naming the selector and listing the devices
/// when none matches; Unsupported without a driver (the overload that loads it).
[[nodiscard]] Result<Context> create_selected(const Driver& driver, const DeviceSelector& selector);
[[nodiscard]] Result<Context> create_selected(const DeviceSelector& selector);

}  // namespace geyser::cuda
