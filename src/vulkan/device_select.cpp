#include "geyser/vulkan/device_select.hpp"

namespace geyser::vulkan {

Result<std::vector<ListedDevice>> listed_devices() {
  GEYSER_TRY(const auto summaries, list_physical_devices());
  std::vector<ListedDevice> out;
  for (const PhysicalDeviceSummary& s : summaries) {
    out.push_back({s.index, s.name, s.identity.device_uuid});
  }
  return out;
}

Result<Device> create_selected(const DeviceSelector& selector, HeadlessOptions options) {
  if (selector.empty()) return Device::create_headless(options);
  // Checked first, so that a device nobody has is the caller's mistake (Validation, with
  // what exists), not a device that lacks what Geyser needs (create_headless: Unsupported).
  GEYSER_TRY(const auto devices, listed_devices());
  GEYSER_TRY_VOID(find_device(selector, devices, "Vulkan"));
  options.device_index = selector.index;
  options.device_uuid = selector.uuid;
  options.device_name_contains = selector.name_contains;
  return Device::create_headless(options);
}

}  // namespace geyser::vulkan
