// `geyser info`'s CUDA part: whether a CUDA driver is there, its devices and their UUIDs,
// and which Vulkan device each one shares textures with (docs/interop-cuda.md).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "geyser/device_identity.hpp"
#include "json.hpp"

namespace geyser::cli {

/// One CUDA device.
struct CudaDeviceReport {
  int ordinal = 0;
  std::string name;
  Uuid uuid{};
};

/// What `geyser info` found of CUDA.
struct CudaReport {
  bool built = false;             ///< this geyser has the CUDA backend
  bool driver_installed = false;  ///< libcuda.so.1 opens
  bool available = false;         ///< the driver loaded and listed its devices
  std::string reason;             ///< why not, when not
  std::string driver_version;     ///< "13.0"
  bool kernels = false;           ///< the pattern-check kernel was built in
  std::vector<CudaDeviceReport> devices;
};

/// Loads the driver to look (it stays loaded); never fails.
[[nodiscard]] CudaReport gather_cuda();

/// The text lines. `vulkan` are the identities of the Vulkan devices listed above it, to
/// say which one each CUDA device shares textures with (same device UUID).
void print_cuda(std::ostream& out, const CudaReport& report,
                const std::vector<DeviceIdentity>& vulkan);

/// The "cuda" object of `geyser info --json`.
[[nodiscard]] Json cuda_json(const CudaReport& report, const std::vector<DeviceIdentity>& vulkan);

}  // namespace geyser::cli
