// Internal: what a geyser_device handle holds. Senders and receivers share its state, so
// the handle itself may be destroyed at any time.
#pragma once

#include <memory>
#include <optional>

#include "geyser/device_selector.hpp"
#include "geyser/error.hpp"
#include "geyser/geyser.h"
#include "geyser/vulkan/device.hpp"
#ifdef GEYSER_CAPI_CUDA
#include "geyser/cuda/device.hpp"
#endif

namespace geyser::capi {

/// A Vulkan device or a CUDA context (one of them, by `api`).
struct DeviceState {
  geyser_api api = GEYSER_API_VULKAN;
  std::optional<vulkan::Device> vulkan;
#ifdef GEYSER_CAPI_CUDA
  std::optional<cuda::Context> cuda;
#endif
};
using SharedDevice = std::shared_ptr<DeviceState>;

/// The device `handle` holds, when it is one of `api`; a new default one of `api` when
/// `handle` is null. Validation for a device of another API.
[[nodiscard]] Result<SharedDevice> device_for(const geyser_device* handle, geyser_api api);
/// The device `options` names (null: any). Validation for a struct_size too small for
/// the version-1 struct; the uuid is read only when struct_size covers it.
[[nodiscard]] Result<DeviceSelector> selector_of(const geyser_device_options* options);
/// A headless Vulkan device chosen by `options` (null: the default).
[[nodiscard]] Result<SharedDevice> make_vulkan_device(const geyser_device_options* options);
/// The primary context of the CUDA device `selector` names (empty: ordinal 0); Unsupported
/// in a build without CUDA.
[[nodiscard]] Result<SharedDevice> make_cuda_device(const DeviceSelector& selector);
/// Fills the CUDA part of `out` (nothing in a build without CUDA).
void describe_cuda(const DeviceState& device, geyser_device_info& out);

}  // namespace geyser::capi

struct geyser_device {
  geyser::capi::SharedDevice state;
};
