#include "geyser/cuda/device_select.hpp"

namespace geyser::cuda {

Result<std::vector<ListedDevice>> listed_devices(const Driver& driver) {
  GEYSER_TRY(const auto devices, list_devices(driver));
  std::vector<ListedDevice> out;
  for (const DeviceInfo& d : devices) {
    out.push_back({static_cast<std::uint32_t>(d.ordinal), d.name, d.uuid});
  }
  return out;
}

Result<Context> create_selected(const Driver& driver, const DeviceSelector& selector) {
  if (selector.empty()) return Context::create(driver, 0);
  GEYSER_TRY(const auto devices, listed_devices(driver));
  GEYSER_TRY(const ListedDevice device, find_device(selector, devices, "CUDA"));
  return Context::create(driver, static_cast<int>(device.index));
}

Result<Context> create_selected(const DeviceSelector& selector) {
  GEYSER_TRY(const Driver* driver, Driver::load());
  return create_selected(*driver, selector);
}

}  // namespace geyser::cuda
