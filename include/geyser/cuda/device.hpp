// CUDA devices and the primary context Geyser works in on each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <cuda.h>

#include "geyser/cuda/driver.hpp"
#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

namespace detail {
struct PrimaryContext;
}  // namespace detail

/// One CUDA device as the driver lists it.
struct DeviceInfo {
  int ordinal = 0;   ///< for cuDeviceGet and Context::create
  std::string name;  ///< "NVIDIA H200"
  /// cuDeviceGetUuid. On NVIDIA drivers it equals the Vulkan deviceUUID of the same GPU,
  /// which is how Geyser matches the two (geyser/cuda/identity.hpp).
  Uuid uuid{};
};

/// Every device of `driver` (Driver::load() by default). Unsupported without a driver.
[[nodiscard]] Result<std::vector<DeviceInfo>> list_devices();
[[nodiscard]] Result<std::vector<DeviceInfo>> list_devices(const Driver& driver);

/// A device's primary context, retained (cuDevicePrimaryCtxRetain) for as long as this
/// Context or anything imported with it lives: imports hold a reference to it, so they may
/// outlive the Context object. The primary context is the one the CUDA runtime uses, so an
/// application's runtime calls and Geyser's work share it. Geyser makes it current only
/// inside its own calls (pushed and popped). Move-only; thread-safe to use from several
/// threads (the driver's own rules apply to what you do with get()). A moved-from Context
/// may only be destroyed or assigned to.
class Context {
 public:
  /// The primary context of device `ordinal` on Driver::load(). Unsupported without a
  /// driver; Validation for an ordinal the driver does not list.
  [[nodiscard]] static Result<Context> create(int ordinal = 0);
  [[nodiscard]] static Result<Context> create(const Driver& driver, int ordinal);
  /// The device whose UUID is `uuid` (a Vulkan deviceUUID, e.g. a handle's identity).
  /// DeviceMismatch naming the UUID and the devices seen when none has it.
  [[nodiscard]] static Result<Context> for_uuid(const Uuid& uuid);

  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();

  /// The CUcontext; owned by the driver, retained by this object.
  [[nodiscard]] CUcontext get() const noexcept;
  [[nodiscard]] CUdevice device() const noexcept;
  [[nodiscard]] const DeviceInfo& info() const noexcept;
  [[nodiscard]] const Driver& driver() const noexcept;
  /// Internal: the shared retain that imports keep.
  [[nodiscard]] const std::shared_ptr<const detail::PrimaryContext>& shared() const noexcept {
    return state_;
  }

 private:
  explicit Context(std::shared_ptr<const detail::PrimaryContext> state) noexcept;
  std::shared_ptr<const detail::PrimaryContext> state_;
};

}  // namespace geyser::cuda
