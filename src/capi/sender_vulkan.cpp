// The Vulkan end of geyser_sender: vulkan::Sender on a geyser_device, slots as VkImages, and
// the present signals for the application's own submission.
#include "geyser/vulkan/sender.hpp"

#include "sender.hpp"

namespace geyser::capi {
namespace {

class VulkanEnd final : public TypedEnd<vulkan::Sender, vulkan::SenderFrame> {
 public:
  using TypedEnd::TypedEnd;

  Result<PresentSignals> vk_present_signals(const geyser_slot& slot) override {
    GEYSER_TRY(const vulkan::SenderFrame* frame, outstanding(slot));
    GEYSER_TRY(std::span<const VkSemaphoreSubmitInfo> signals, sender().present_signals(*frame));
    return PresentSignals{signals.data(), static_cast<std::uint32_t>(signals.size())};
  }

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
