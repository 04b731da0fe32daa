// The channel ends of `geyser send` and `geyser recv`: the API switch and the Vulkan ends
// (ends_opengl.cpp, ends_cuda.cpp and ends_host.cpp have the others).
#include "ends.hpp"

#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "device_spec.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

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

std::string_view to_string(Api api) noexcept {
  switch (api) {
    case Api::OpenGL: return "opengl";
    case Api::Cuda: return "cuda";
    case Api::Host: return "host";
    case Api::Vulkan: break;
  }
  return "vulkan";
}

std::vector<std::string> api_names() {
  std::vector<std::string> names{"vulkan"};
#ifdef GEYSER_HAVE_OPENGL_CHANNEL
  names.emplace_back("opengl");
#endif
#ifdef GEYSER_HAVE_CUDA_CHANNEL
  names.emplace_back("cuda");
#endif
  names.emplace_back("host");
  return names;
}

std::optional<Api> parse_api(std::string_view text) noexcept {
  if (text == "vulkan") return Api::Vulkan;
  if (text == "opengl") return Api::OpenGL;
  if (text == "cuda") return Api::Cuda;
  if (text == "host") return Api::Host;
  return std::nullopt;
}

namespace {

// --device for the API that cannot take one: a usage error, before anything is opened.
void refuse_device(Api api, std::string_view command, const DeviceSelector& device) {
  if (device.empty()) return;
  if (api == Api::Host) {
    exit_device_usage(command,
                      "--api host uses no GPU (frames are written to and read from shared host "
                      "memory); leave --device out",
                      /*hint_info=*/false);
  }
}

}  // namespace

std::unique_ptr<SendEnd> open_send_end(Api api, std::string_view command,
                                       const DeviceSelector& device) {
  refuse_device(api, command, device);
  switch (api) {
    case Api::OpenGL: return detail::open_opengl_send_end(command, device);
    case Api::Cuda: return detail::open_cuda_send_end(command, device);
    case Api::Host: return detail::open_host_send_end(command);
    case Api::Vulkan: break;
  }
  return detail::open_vulkan_send_end(command, device);
}

std::unique_ptr<RecvEnd> open_recv_end(Api api, std::string_view command,
                                       const DeviceSelector& device) {
  refuse_device(api, command, device);
  switch (api) {
    case Api::OpenGL: return detail::open_opengl_recv_end(command, device);
    case Api::Cuda: return detail::open_cuda_recv_end(command, device);
    case Api::Host: return detail::open_host_recv_end(command);
    case Api::Vulkan: break;
  }
  return detail::open_vulkan_recv_end(command, device);
}

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

#ifndef GEYSER_HAVE_OPENGL_CHANNEL
std::unique_ptr<SendEnd> open_opengl_send_end(std::string_view command, const DeviceSelector&) {
  std::cerr << "geyser " << command << ": --api opengl: this geyser was built without the "
            << "OpenGL backend (libepoxy-dev was not found)\n";
  return nullptr;
}
std::unique_ptr<RecvEnd> open_opengl_recv_end(std::string_view command,
                                              const DeviceSelector& device) {
  (void)open_opengl_send_end(command, device);
  return nullptr;
}
#endif

#ifndef GEYSER_HAVE_CUDA_CHANNEL
std::unique_ptr<SendEnd> open_cuda_send_end(std::string_view command, const DeviceSelector&) {
  std::cerr << "geyser " << command << ": --api cuda: this geyser was built without the "
            << "CUDA backend (the CUDA toolkit's cuda.h was not found)\n";
  return nullptr;
}
std::unique_ptr<RecvEnd> open_cuda_recv_end(std::string_view command,
                                            const DeviceSelector& device) {
  (void)open_cuda_send_end(command, device);
  return nullptr;
}
#endif

}  // namespace detail
}  // namespace geyser::cli
