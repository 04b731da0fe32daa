#include "vulkan_open.hpp"

#include <iostream>
#include <string>

#include "common.hpp"
#include "device_spec.hpp"
#include "geyser/vulkan/device_select.hpp"

namespace geyser::cli {

std::optional<vulkan::Device> open_device(std::string_view command,
                                          const DeviceSelector& selector) {
  auto device = vulkan::create_selected(selector);
  if (device) return std::move(device).value();
  if (device.error().code() == ErrorCode::Validation) {
    exit_device_usage(command, device.error().message());
  }
  const std::string text = device.error().to_string();
  std::cerr << "geyser " << command << ": cannot open a Vulkan device: " << text << '\n';
  if (text.find("VK_LAYER_KHRONOS_validation") != std::string::npos ||
      text.find("validation layer") != std::string::npos) {
    std::cerr << "hint: GEYSER_VALIDATION=1 needs the validation layer: apt-get install "
                 "vulkan-validationlayers (or unset GEYSER_VALIDATION)\n";
  } else {
    std::cerr << vulkan_driver_hint() << '\n';
  }
  return std::nullopt;
}

}  // namespace geyser::cli
