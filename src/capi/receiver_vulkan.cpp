// The Vulkan end of geyser_receiver: vulkan::Receiver on a geyser_device, frames as VkImages.
#include "geyser/vulkan/receiver.hpp"

#include "receiver.hpp"

namespace geyser::capi {
namespace {

class VulkanEnd final : public ReceiverEnd {
 public:
  VulkanEnd(SharedDevice device, vulkan::Receiver receiver)
      : device_(std::move(device)), receiver_(std::move(receiver)) {}

  Result<void> acquire(std::chrono::milliseconds timeout, geyser_frame& out) override {
    GEYSER_TRY(vulkan::ReceivedFrame frame, receiver_.acquire(timeout));
    out.vk_image = reinterpret_cast<std::uint64_t>(frame.texture->image());
    return {};
  }
  Result<void> release() override { return receiver_.release(); }
  channel::ReceiverCore& core() override { return receiver_.core(); }

 private:
  SharedDevice device_;  // before receiver_: destroyed after it
  vulkan::Receiver receiver_;
};

}  // namespace

Result<std::unique_ptr<ReceiverEnd>> connect_vulkan(const geyser_device* handle,
                                                    const std::string& name,
                                                    std::chrono::milliseconds timeout,
                                                    const channel::ReceiverOptions& options) {
  GEYSER_TRY(SharedDevice device, device_for(handle, GEYSER_API_VULKAN));
  GEYSER_TRY(auto receiver, vulkan::Receiver::connect(*device->vulkan, name, timeout, options));
  return std::make_unique<VulkanEnd>(std::move(device), std::move(receiver));
}

}  // namespace geyser::capi
