#include "worker.hpp"

#include <cstdio>

#include "process.hpp"

namespace geyser::bench {

Result<vulkan::Device> make_device(const Environment& env) {
  vulkan::HeadlessOptions options{.device_name_contains = env.device_name_contains,
                                  .validation = false,
                                  .application_name = "geyser-bench"};
  return vulkan::Device::create_headless(options);
}

DeviceReport describe_device(const vulkan::Device& device) {
  DeviceReport report;
  report.name = device.name();
  if (auto devices = vulkan::list_physical_devices()) {
    for (const auto& d : *devices) {
      if (d.identity == device.identity()) {
        report.driver = d.driver_name + (d.driver_info.empty() ? "" : " " + d.driver_info);
        break;
      }
    }
  }
  if (report.driver.empty()) {
    report.driver = "driver version " + std::to_string(device.properties().driverVersion);
  }
  return report;
}

std::string channel_name(const Environment& env, const std::string& what, std::size_t index) {
  return env.channel_prefix + "-" + what + "-" + std::to_string(index);
}

int run_worker(std::span<char> error_text, const char* role,
               const std::function<Result<void>()>& body) {
  auto result = body();
  if (result) return 0;
  const std::string text = std::string(role) + ": " + result.error().to_string();
  set_text(error_text, text);
  std::fprintf(stderr, "geyser bench: %s\n", text.c_str());
  return 1;
}

}  // namespace geyser::bench
