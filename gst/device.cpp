#include "device.hpp"

#include "geyser/device_selector.hpp"

namespace geyser::gst {

geyser_status open_vulkan_device(const std::string& spec, geyser_device** out, std::string& error) {
  const std::optional<DeviceSelector> selector = parse_device_spec(spec);
  if (!selector) {
    error = "the device property is empty";
    return GEYSER_ERROR_VALIDATION;
  }
  geyser_device_options options;
  geyser_device_options_init(&options);
  if (selector->index) options.index = static_cast<std::int32_t>(*selector->index);
  if (selector->uuid) options.uuid = selector->uuid->data();
  if (!selector->name_contains.empty()) options.name_contains = selector->name_contains.c_str();
  const geyser_status status = geyser_device_create(GEYSER_API_VULKAN, &options, out);
  if (status != GEYSER_OK) error = geyser_last_error();
  return status;
}

}  // namespace geyser::gst
