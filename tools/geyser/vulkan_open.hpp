// Opening the Vulkan device a command was asked for, with hints a user can act on.
#pragma once

#include <optional>
#include <string_view>

#include "geyser/device_selector.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::cli {

/// The headless Vulkan device `selector` names (vulkan::create_selected; empty: the
/// default). On failure prints why and what to install, returns nullopt; a device the
/// loader does not list is a usage error (exit_device_usage: exits with kExitUsage).
[[nodiscard]] std::optional<vulkan::Device> open_device(std::string_view command,
                                                        const DeviceSelector& selector = {});

}  // namespace geyser::cli
