// The CUDA half of geyser_device: a device's primary context. In a build without CUDA
// (device_nocuda.cpp) asking for one is Unsupported.
#include <cstring>

#include "device.hpp"
#include "geyser/cuda/device_select.hpp"

namespace geyser::capi {

Result<SharedDevice> make_cuda_device(const DeviceSelector& selector) {
  GEYSER_TRY(auto context, cuda::create_selected(selector));
  auto state = std::make_shared<DeviceState>();
  state->api = GEYSER_API_CUDA;
  state->cuda.emplace(std::move(context));
  return state;
}

void describe_cuda(const DeviceState& device, geyser_device_info& out) {
  if (!device.cuda) return;
  const cuda::DeviceInfo& info = device.cuda->info();
  const std::size_t n = std::min(info.name.size(), sizeof(out.name) - 1);
  std::memcpy(out.name, info.name.data(), n);
  out.name[n] = '\0';
  std::memcpy(out.uuid, info.uuid.data(), sizeof(out.uuid));
  out.cuda_context = device.cuda->get();
  out.cuda_ordinal = info.ordinal;
}

}  // namespace geyser::capi
