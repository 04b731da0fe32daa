// The identity a CUDA receiver says Hello with: the Vulkan identity of the same GPU.
#include <vector>

#include "geyser/cuda/identity.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::cuda {

Result<DeviceIdentity> hello_identity(const Context& context) {
  // The channel core compares driver and device UUIDs at Hello (SenderCore) and at the
  // stream description (ReceiverCore); CUDA reports no driver UUID, and the Vulkan driver
  // of the same GPU is the one whose exports a CUDA receiver imports.
  auto devices = vulkan::list_physical_devices();
  if (!devices) {
    return fail(ErrorCode::Unsupported,
                "cuda receiver: the Vulkan devices could not be listed to find the driver UUID "
                "of " +
                    context.info().name + ": " + devices.error().to_string());
  }
  std::vector<DeviceIdentity> identities;
  for (const auto& device : *devices) identities.push_back(device.identity);
  return identity_for(context.info(), identities);
}

}  // namespace geyser::cuda
