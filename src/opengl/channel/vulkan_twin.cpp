// vulkan_twin: the Vulkan physical device with the GL context's UUIDs.
#include "vulkan_twin.hpp"

#include <string>

namespace geyser::opengl::detail {

Result<std::unique_ptr<vulkan::Device>> vulkan_twin(const DeviceIdentity& identity) {
  GEYSER_TRY(const auto devices, vulkan::list_physical_devices());
  std::string seen;
  for (const vulkan::PhysicalDeviceSummary& d : devices) {
    if (d.identity.compatible_with(identity) && d.missing_extensions.empty()) {
      vulkan::HeadlessOptions options;
      options.device_index = d.index;
      options.application_name = "geyser opengl sender";
      GEYSER_TRY(vulkan::Device device, vulkan::Device::create_headless(options));
      return std::make_unique<vulkan::Device>(std::move(device));
    }
    seen += (seen.empty() ? "" : ", ") + d.name + " (device " + to_string(d.identity.device_uuid) +
            (d.missing_extensions.empty() ? "" : ", lacks " + d.missing_extensions.front()) + ")";
  }
  return fail(ErrorCode::DeviceMismatch,
              "opengl::Sender: no Vulkan device has the OpenGL context's driver " +
                  to_string(identity.driver_uuid) + " and device " +
                  to_string(identity.device_uuid) + "; Vulkan sees " +
                  (seen.empty() ? std::string("none") : seen));
}

}  // namespace geyser::opengl::detail
