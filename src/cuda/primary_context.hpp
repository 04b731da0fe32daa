// Internal: a retained primary context, and making it current for the span of a call.
#pragma once

#include <cuda.h>

#include <memory>

#include "driver_api.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda::detail {

/// One cuDevicePrimaryCtxRetain, released on destruction. Shared by a Context and every
/// object made in it, so that the context outlives all of them.
struct PrimaryContext {
  PrimaryContext(const Driver& d, CUdevice dev, CUcontext ctx, DeviceInfo i) noexcept
      : driver(&d), device(dev), context(ctx), info(std::move(i)) {}
  PrimaryContext(const PrimaryContext&) = delete;
  PrimaryContext& operator=(const PrimaryContext&) = delete;
  ~PrimaryContext();

  [[nodiscard]] const DriverApi& api() const noexcept { return driver->api(); }

  const Driver* driver;
  CUdevice device;
  CUcontext context;
  DeviceInfo info;
};

using SharedContext = std::shared_ptr<const PrimaryContext>;

/// Makes a context current on this thread for the span of a scope (cuCtxPushCurrent), and
/// restores the one before (cuCtxPopCurrent): Geyser's calls do not change what the
/// application made current.
class CurrentContext {
 public:
  /// Pushes `context`; Internal naming the call when the driver refuses.
  [[nodiscard]] static Result<CurrentContext> push(const PrimaryContext& context);
  CurrentContext(CurrentContext&& other) noexcept : api_(other.api_) { other.api_ = nullptr; }
  CurrentContext& operator=(CurrentContext&&) = delete;
  CurrentContext(const CurrentContext&) = delete;
  CurrentContext& operator=(const CurrentContext&) = delete;
  ~CurrentContext();

 private:
  explicit CurrentContext(const DriverApi& api) noexcept : api_(&api) {}
  const DriverApi* api_;
};

}  // namespace geyser::cuda::detail
