// The CUDA ends in a build without the CUDA toolkit: asking for them is Unsupported.
#include "device.hpp"
#include "receiver.hpp"
#include "sender.hpp"

namespace geyser::capi {
namespace {

tl::unexpected<Error> no_cuda() {
  return fail(ErrorCode::Unsupported,
              "CUDA: this libgeyser was built without the CUDA toolkit (no geyser::cuda)");
}

}  // namespace

Result<SharedDevice> make_cuda_device(const DeviceSelector&) {
  return no_cuda();
}

void describe_cuda(const DeviceState&, geyser_device_info&) {}

Result<std::unique_ptr<ReceiverEnd>> connect_cuda(const geyser_device*, const std::string&,
                                                  std::chrono::milliseconds,
                                                  const channel::ReceiverOptions&) {
  return no_cuda();
}

Result<std::unique_ptr<SenderEnd>> publish_cuda(const geyser_device*, const std::string&,
                                                const TextureDescriptor&,
                                                const channel::SenderOptions&) {
  return no_cuda();
}

}  // namespace geyser::capi
