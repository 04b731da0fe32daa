// The Vulkan end of geyser_sender: vulkan::Sender on a geyser_device, slots as VkImages.
#include "geyser/vulkan/sender.hpp"

#include "sender.hpp"

namespace geyser::capi {
namespace {

class VulkanEnd final : public TypedEnd<vulkan::Sender, vulkan::SenderFrame> {
 public:
  using TypedEnd::TypedEnd;

 private:
  void fill(const vulkan::SenderFrame& frame, geyser_slot& out) const override {
    out.vk_image = reinterpret_cast<std::uint64_t>(frame.texture->image());
  }
};

}  // namespace

Result<std::unique_ptr<SenderEnd>> publish_vulkan(const geyser_device* handle,
                                                  const std::string& name,
                                                  const TextureDescriptor& desc,
                                                  const channel::SenderOptions& options) {
  GEYSER_TRY(SharedDevice device, device_for(handle, GEYSER_API_VULKAN));
  GEYSER_TRY(auto sender, vulkan::Sender::publish(*device->vulkan, name, desc, options));
  return std::make_unique<VulkanEnd>(std::move(device), std::move(sender));
}

}  // namespace geyser::capi
