// The OpenGL ends of `geyser send` and `geyser recv`: a headless EGL context, current on
// the command's one thread, and opengl::Sender or opengl::Receiver in it.
#include <iostream>

#include "device_spec.hpp"
#include "ends.hpp"
#include "geyser/opengl/context.hpp"
#include "geyser/opengl/receiver.hpp"
#include "geyser/opengl/sender.hpp"
#include "geyser/vulkan/device_select.hpp"

namespace geyser::cli::detail {
namespace {

// `--device N` names the GPU that is Vulkan device N for every --api: its UUID picks the EGL
// display (whose own index, where EGL lists devices at all, need not be Vulkan's order; the
// NVIDIA driver of the GPU machine offers only the surfaceless display, which has none).
DeviceSelector by_vulkan_index(std::string_view command, DeviceSelector device) {
  if (!device.index) return device;
  auto listed = vulkan::listed_devices();
  if (!listed) {
    exit_device_usage(command, "an index names a Vulkan device, but " + listed.error().message());
  }
  auto found = find_device(DeviceSelector{device.index, std::nullopt, ""}, *listed, "Vulkan");
  if (!found) exit_device_usage(command, found.error().message());
  if (device.uuid && *device.uuid != found->uuid) {
    exit_device_usage(command, "index " + std::to_string(*device.index) + " and UUID " +
                                   geyser::to_string(*device.uuid) + " are two devices");
  }
  device.uuid = found->uuid;
  device.index.reset();
  return device;
}

std::optional<opengl::HeadlessContext> open_context(std::string_view command,
                                                    const DeviceSelector& selector) {
  const DeviceSelector device = by_vulkan_index(command, selector);
  auto context = opengl::HeadlessContext::create(device);
  if (context) return std::move(context).value();
  if (context.error().code() == ErrorCode::Validation && !device.empty()) {
    exit_device_usage(command, context.error().message());
  }
  std::cerr << "geyser " << command
            << ": --api opengl: cannot create an OpenGL context: " << context.error().to_string()
            << '\n'
            << "hint: install an EGL driver, e.g. apt-get install libegl-mesa0 (llvmpipe runs on "
               "the CPU); `geyser info` shows what OpenGL offers\n";
  return std::nullopt;
}

std::string context_name(const opengl::HeadlessContext& context) {
  return context.renderer() + " (OpenGL, EGL " +
         std::string(opengl::to_string(context.platform())) + ")";
}

class OpenGlSendEnd final : public SendEnd {
 public:
  explicit OpenGlSendEnd(opengl::HeadlessContext context) : context_(std::move(context)) {}
  Result<void> publish(const std::string& name, const TextureDescriptor& desc,
                       const channel::SenderOptions& options) override {
    GEYSER_TRY(auto sender, opengl::Sender::publish(name, desc, options));
    sender_.emplace(std::move(sender));
    return {};
  }
  channel::SenderCore& core() override { return sender_->core(); }
  std::string device_name() const override {
    return context_name(context_) +
           (sender_ ? ", textures on Vulkan " + sender_->vulkan_device_name() : "");
  }

 private:
  opengl::HeadlessContext context_;
  std::optional<opengl::Sender> sender_;  // after context_: destroyed first, still current
};

class OpenGlRecvEnd final : public RecvEnd {
 public:
  explicit OpenGlRecvEnd(opengl::HeadlessContext context) : context_(std::move(context)) {}
  Result<void> connect(const std::string& name, std::chrono::milliseconds timeout,
                       const channel::ReceiverOptions& options) override {
    GEYSER_TRY(auto receiver, opengl::Receiver::connect(name, timeout, options));
    receiver_.emplace(std::move(receiver));
    return {};
  }
  channel::ReceiverCore& core() override { return receiver_->core(); }
  Result<std::vector<std::uint8_t>> read_held() override {
    const opengl::ReceivedFrame* held = receiver_->held();
    if (held == nullptr) return fail(ErrorCode::Validation, "no frame is held");
    return opengl::read_pixels(*held->gl);
  }
  std::string device_name() const override { return context_name(context_); }

 private:
  opengl::HeadlessContext context_;
  std::optional<opengl::Receiver> receiver_;
};

}  // namespace

std::unique_ptr<SendEnd> open_opengl_send_end(std::string_view command,
                                              const DeviceSelector& device) {
  auto context = open_context(command, device);
  if (!context) return nullptr;
  return std::make_unique<OpenGlSendEnd>(std::move(*context));
}

std::unique_ptr<RecvEnd> open_opengl_recv_end(std::string_view command,
                                              const DeviceSelector& device) {
  auto context = open_context(command, device);
  if (!context) return nullptr;
  return std::make_unique<OpenGlRecvEnd>(std::move(*context));
}

}  // namespace geyser::cli::detail
