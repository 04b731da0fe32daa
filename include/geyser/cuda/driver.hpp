// The CUDA driver, loaded at run time: Geyser never links libcuda or libcudart, so that the
// same binaries run on machines without an NVIDIA driver (docs/interop-cuda.md).
#pragma once

#include <memory>
#include <string>

#include <cuda.h>

#include "geyser/error.hpp"

namespace geyser::cuda {

namespace detail {
struct DriverApi;
}  // namespace detail

/// The soname Geyser loads the driver API from.
inline constexpr const char* kDriverLibrary = "libcuda.so.1";

/// The CUDA driver API of this process: libcuda opened with dlopen, every entry point
/// fetched through cuGetProcAddress for the CUDA version of the headers Geyser was built
/// with (CUDA_VERSION), and cuInit done. Immutable after loading: thread-safe.
class Driver {
 public:
  /// The process's driver, loaded on the first call; later calls return the same driver or
  /// the same error. Unsupported, with the reason, when there is no driver
  /// ("libcuda.so.1 not found: no NVIDIA driver on this machine (...)"), when it is older
  /// than the headers, when an entry point is missing or when cuInit fails (no device).
  /// The driver stays loaded until the process exits.
  [[nodiscard]] static Result<const Driver*> load();
  /// Loads the driver from `library` instead, for this caller only (tests, unusual
  /// installs); the same errors as load(). Destroying it dlcloses the library: destroy
  /// everything made with it first.
  [[nodiscard]] static Result<std::unique_ptr<Driver>> open(const std::string& library);

  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  ~Driver();

  /// cuDriverGetVersion: 1000 * major + 10 * minor, e.g. 13000.
  [[nodiscard]] int version() const noexcept { return version_; }
  /// "13.0".
  [[nodiscard]] std::string version_string() const;
  /// The entry points (internal: src/cuda/driver_api.hpp).
  [[nodiscard]] const detail::DriverApi& api() const noexcept { return *api_; }

 private:
  Driver(void* library, std::unique_ptr<detail::DriverApi> api, int version) noexcept;
  void* library_;
  std::unique_ptr<detail::DriverApi> api_;
  int version_;
};

/// Whether kDriverLibrary can be opened at all (dlopen, then closed again): false means no
/// NVIDIA driver is installed, which callers may word differently from a driver that is
/// there but unusable (Driver::load() says which).
[[nodiscard]] bool driver_installed() noexcept;

/// "13.0" for 13000.
[[nodiscard]] std::string cuda_version_string(int version);

}  // namespace geyser::cuda
