// The Vulkan ends of `geyser send` and `geyser recv`: a headless device and the Sender or
// Receiver made on it; frames read back through a staging copy.
#include <memory>
#include <optional>

#include "common.hpp"
#include "ends.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "vulkan_open.hpp"

namespace geyser::cli {
namespace {

class VulkanSendEnd final : public SendEnd {
 public:
  explicit VulkanSendEnd(vulkan::Device device) : device_(std::move(device)) {}
  Result<void> publish(const std::string& name, const TextureDescriptor& desc,
                       const channel::SenderOptions& options) override {
    GEYSER_TRY(auto sender, vulkan::Sender::publish(device_, name, desc, options));
    sender_.emplace(std::move(sender));
    return {};
  }
  channel::SenderCore& core() override { return sender_->core(); }
  std::string device_name() const override { return device_.name(); }

 private:
  vulkan::Device device_;
  std::optional<vulkan::Sender> sender_;  // after device_: destroyed first
};

class VulkanRecvEnd final : public RecvEnd {
 public:
  explicit VulkanRecvEnd(vulkan::Device device) : device_(std::move(device)) {}
  Result<void> connect(const std::string& name, std::chrono::milliseconds timeout,
                       const channel::ReceiverOptions& options) override {
    GEYSER_TRY(auto receiver, vulkan::Receiver::connect(device_, name, timeout, options));
    receiver_.emplace(std::move(receiver));
    return {};
  }
  channel::ReceiverCore& core() override { return receiver_->core(); }
  Result<std::vector<std::uint8_t>> read_held() override {
    const vulkan::ReceivedFrame* held = receiver_->held();
    if (held == nullptr) return fail(ErrorCode::Validation, "no frame is held");
    return vulkan::readback(*held->texture);
  }
  std::string device_name() const override { return device_.name(); }

 private:
  vulkan::Device device_;
  std::optional<vulkan::Receiver> receiver_;
};

}  // namespace

namespace detail {

std::unique_ptr<SendEnd> open_vulkan_send_end(std::string_view command,
                                              const DeviceSelector& selector) {
  auto device = open_device(command, selector);
  if (!device) return nullptr;
  return std::make_unique<VulkanSendEnd>(std::move(*device));
}

std::unique_ptr<RecvEnd> open_vulkan_recv_end(std::string_view command,
                                              const DeviceSelector& selector) {
  auto device = open_device(command, selector);
  if (!device) return nullptr;
  return std::make_unique<VulkanRecvEnd>(std::move(*device));
}

}  // namespace detail
}  // namespace geyser::cli
