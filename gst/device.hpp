// geysersink's `device` property: a device SPEC (an index, a UUID or a part of the name, as
// `geyser info` lists them and `geyser send --device` takes them) opened as the Vulkan
// device that system-memory buffers are published from.
#pragma once

#include <string>

#include "geyser/geyser.h"

namespace geyser::gst {

/// Opens the Vulkan device `spec` names into `*out` (the caller destroys it after the
/// sender made on it). GEYSER_OK, or the status of geyser_device_create with its message
/// in `error` (Validation lists the devices when none matches).
[[nodiscard]] geyser_status open_vulkan_device(const std::string& spec, geyser_device** out,
                                               std::string& error);

}  // namespace geyser::gst
