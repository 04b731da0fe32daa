#include "info_cuda.hpp"

#include <iomanip>

#ifdef GEYSER_HAVE_CUDA
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/driver.hpp"
#include "geyser/cuda/pattern_check.hpp"
#endif

namespace geyser::cli {
namespace {

// The index of the Vulkan device that is the same GPU (geyser/cuda/identity.hpp: CUDA's
// device UUID is Vulkan's deviceUUID), if any.
std::optional<std::size_t> matching_device(const CudaDeviceReport& device,
                                           const std::vector<DeviceIdentity>& vulkan) {
  if (is_zero(device.uuid)) return std::nullopt;
  for (std::size_t i = 0; i < vulkan.size(); ++i) {
    if (vulkan[i].device_uuid == device.uuid) return i;
  }
  return std::nullopt;
}

}  // namespace

CudaReport gather_cuda() {
  CudaReport report;
#ifdef GEYSER_HAVE_CUDA
  report.built = true;
  report.kernels = cuda::have_kernels();
  report.driver_installed = cuda::driver_installed();
  auto driver = cuda::Driver::load();
  if (!driver) {
    report.reason = driver.error().to_string();
    return report;
  }
  report.driver_version = (*driver)->version_string();
  auto devices = cuda::list_devices(**driver);
  if (!devices) {
    report.reason = devices.error().to_string();
    return report;
  }
  report.available = true;
  for (const auto& device : *devices) {
    report.devices.push_back(CudaDeviceReport{device.ordinal, device.name, device.uuid});
  }
#else
  report.reason = "this geyser was built without the CUDA backend (no CUDA toolkit found)";
#endif
  return report;
}

void print_cuda(std::ostream& out, const CudaReport& report,
                const std::vector<DeviceIdentity>& vulkan) {
  const auto field = [&](const std::string& key, const std::string& value) {
    out << "  " << std::left << std::setw(23) << (key + ":") << value << '\n';
  };
  out << '\n';
  if (!report.built) {
    out << "CUDA: not built (" << report.reason << ")\n";
    return;
  }
  if (!report.driver_installed) {
    out << "CUDA: no driver (libcuda.so.1 not found)\n";
    return;
  }
  if (!report.available) {
    out << "CUDA: driver unusable (" << report.reason << ")\n";
    return;
  }
  out << "CUDA: driver " << report.driver_version << ", " << report.devices.size() << " device"
      << (report.devices.size() == 1 ? "" : "s") << "\n";
  for (const auto& device : report.devices) {
    out << "  Device " << device.ordinal << ": " << device.name << '\n';
    field("  device UUID", to_string(device.uuid));
    const auto match = matching_device(device, vulkan);
    field("  shares with", match ? "Vulkan device " + std::to_string(*match)
                                 : std::string("no Vulkan device listed above"));
  }
  field("pattern-check kernel", report.kernels ? "built in (sm_90 + PTX)" : "not built (no nvcc)");
}

Json cuda_json(const CudaReport& report, const std::vector<DeviceIdentity>& vulkan) {
  Json j = Json::object();
  j["built"] = report.built;
  j["driver_installed"] = report.driver_installed;
  j["available"] = report.available;
  j["reason"] = report.available ? Json(nullptr) : Json(report.reason);
  j["driver_version"] = report.available ? Json(report.driver_version) : Json(nullptr);
  j["kernels"] = report.kernels;
  Json devices = Json::array();
  for (const auto& device : report.devices) {
    Json d = Json::object();
    d["ordinal"] = device.ordinal;
    d["name"] = device.name;
    d["device_uuid"] = to_string(device.uuid);
    const auto match = matching_device(device, vulkan);
    d["vulkan_device"] = match ? Json(*match) : Json(nullptr);
    devices.push_back(std::move(d));
  }
  j["devices"] = std::move(devices);
  return j;
}

}  // namespace geyser::cli
