// The CUDA ends of `geyser send` and `geyser recv`: the primary context of the CUDA device
// that is the GPU a Vulkan `geyser send` writes on by default, and cuda::Sender or
// cuda::Receiver in it. send draws each frame with the pattern kernel (PatternChecker::draw);
// recv --verify checks every frame with the pattern-check kernel (cuda::PatternChecker) on
// the receiver's stream, and --png (and --verify where the kernel is missing) copies the
// frame to the host on that stream (cuda::read_back).
#include <cuda.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device_spec.hpp"
#include "ends.hpp"
#include "geyser/cuda/copy.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/device_select.hpp"
#include "geyser/cuda/driver.hpp"
#include "geyser/cuda/pattern_check.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/cuda/sender.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::cli::detail {
namespace {

// The CUDA device to receive on: the one that is the Vulkan device Device::create_headless
// picks by default (`geyser send`'s: the best-ranked usable device, a discrete GPU first),
// else the first CUDA device that is any usable Vulkan device, else device 0 (connect then
// says that no Vulkan device is that GPU).
int pick_device(const std::vector<cuda::DeviceInfo>& cuda_devices) {
  auto vulkan_devices = vulkan::list_physical_devices();
  if (!vulkan_devices) return 0;
  const auto rank = [](VkPhysicalDeviceType type) {
    switch (type) {
      case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
      case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
      case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
      case VK_PHYSICAL_DEVICE_TYPE_OTHER: return 3;
      default: return 4;
    }
  };
  const auto cuda_ordinal = [&](const DeviceIdentity& identity) -> std::optional<int> {
    for (const auto& device : cuda_devices) {
      if (identity.device_uuid == device.uuid) return device.ordinal;
    }
    return std::nullopt;
  };
  const vulkan::PhysicalDeviceSummary* best = nullptr;
  std::optional<int> any;
  for (const auto& summary : *vulkan_devices) {
    if (!summary.missing_extensions.empty()) continue;
    if (best == nullptr || rank(summary.type) < rank(best->type)) best = &summary;
    if (!any) any = cuda_ordinal(summary.identity);
  }
  if (best != nullptr) {
    if (auto ordinal = cuda_ordinal(best->identity)) return *ordinal;
  }
  return any.value_or(0);
}

std::string context_name(const cuda::Context& context) {
  return context.info().name + " (CUDA device " + std::to_string(context.info().ordinal) +
         ", driver " + context.driver().version_string() + ")";
}

class CudaSendEnd final : public SendEnd {
 public:
  explicit CudaSendEnd(cuda::Context context) : context_(std::move(context)) {}
  Result<void> publish(const std::string& name, const TextureDescriptor& desc,
                       const channel::SenderOptions& options) override {
    GEYSER_TRY(auto sender, cuda::Sender::publish(context_, name, desc, options));
    sender_.emplace(std::move(sender));
    return {};
  }
  channel::SenderCore& core() override { return sender_->core(); }
  // The pattern kernel draws each frame into the slot on the sender's stream: no host copy.
  std::optional<Result<std::uint64_t>> write_pattern_on_device(
      std::uint64_t frame, std::chrono::milliseconds timeout,
      std::span<const std::uint8_t> metadata) override {
    if (!painter_) {
      auto painter = cuda::PatternChecker::create(context_);
      if (!painter) return std::nullopt;  // built without nvcc: filled on the CPU
      painter_.emplace(std::move(painter).value());
    }
    return draw_and_present(frame, timeout, metadata);
  }
  std::string device_name() const override {
    return context_name(context_) +
           (sender_ ? ", textures on Vulkan " + sender_->vulkan_device_name() : "");
  }

 private:
  Result<std::uint64_t> draw_and_present(std::uint64_t frame, std::chrono::milliseconds timeout,
                                         std::span<const std::uint8_t> metadata) {
    GEYSER_TRY(const cuda::SenderFrame slot, sender_->acquire(timeout));
    (void)frame;  // frames are numbered by presents: slot.frame is the one asked for
    if (auto drawn = painter_->draw(slot.surface, slot.descriptor, slot.frame, slot.stream);
        !drawn) {
      sender_->cancel(slot);
      return tl::unexpected(std::move(drawn).error());
    }
    GEYSER_TRY_VOID(sender_->present(slot, metadata));
    return slot.frame;
  }

  cuda::Context context_;
  std::optional<cuda::Sender> sender_;  // after context_: destroyed first
  std::optional<cuda::PatternChecker> painter_;
};

class CudaRecvEnd final : public RecvEnd {
 public:
  CudaRecvEnd(cuda::Context context, std::string command)
      : context_(std::move(context)), command_(std::move(command)) {}

  Result<void> connect(const std::string& name, std::chrono::milliseconds timeout,
                       const channel::ReceiverOptions& options) override {
    GEYSER_TRY(auto receiver, cuda::Receiver::connect(context_, name, timeout, options));
    receiver_.emplace(std::move(receiver));
    return {};
  }
  channel::ReceiverCore& core() override { return receiver_->core(); }

  Result<std::vector<std::uint8_t>> read_held() override {
    const cuda::ReceivedFrame* held = receiver_->held();
    if (held == nullptr) return fail(ErrorCode::Validation, "no frame is held");
    if (held->tiling == Tiling::Linear) {
      return cuda::read_back(context_, held->data, held->row_pitch, held->descriptor, held->stream);
    }
    return cuda::read_back(context_, held->array, held->descriptor, held->stream);
  }

  std::optional<Result<std::uint64_t>> check_pattern_on_device(std::uint64_t frame) override {
    if (kernel_unavailable_) return std::nullopt;
    const cuda::ReceivedFrame* held = receiver_->held();
    if (held == nullptr)
      return Result<std::uint64_t>(fail(ErrorCode::Validation, "no frame is held"));
    if (!checker_) {
      auto checker = cuda::PatternChecker::create(context_);
      if (!checker) return give_up_kernel(checker.error());
      checker_.emplace(std::move(checker).value());
    }
    auto checked =
        held->tiling == Tiling::Linear
            ? checker_->check(held->data, held->row_pitch, held->descriptor, frame, held->stream)
            : checker_->check(held->surface, held->descriptor, frame, held->stream);
    if (!checked) {
      if (checked.error().code() == ErrorCode::Unsupported) return give_up_kernel(checked.error());
      return Result<std::uint64_t>(tl::unexpected(std::move(checked).error()));
    }
    return Result<std::uint64_t>(checked->mismatched_texels);
  }

  std::string device_name() const override { return context_name(context_); }

 private:
  // The kernel cannot check these frames (not built, no code for this GPU, a layered or
  // odd-sized format): say so once, and let recv read them back and check them on the CPU.
  std::optional<Result<std::uint64_t>> give_up_kernel(const Error& why) {
    std::cerr << "geyser " << command_ << ": --api cuda: the pattern-check kernel cannot check "
              << "this stream (" << why.to_string()
              << "); checking each frame on the CPU after a copy to the host\n";
    kernel_unavailable_ = true;
    return std::nullopt;
  }

  cuda::Context context_;
  std::string command_;
  std::optional<cuda::PatternChecker> checker_;
  bool kernel_unavailable_ = false;
  std::optional<cuda::Receiver> receiver_;  // last: destroyed first, before its context
};

// The CUDA context to work in (the device `selector` names, else pick_device's), printing
// why not (the loader's reason, with a hint) as `geyser COMMAND` on stderr and returning
// nullopt when there is none; a device the driver does not list is a usage error.
std::optional<cuda::Context> open_context(std::string_view command,
                                          const DeviceSelector& selector) {
  const std::string prefix = "geyser " + std::string(command) + ": --api cuda: ";
  const char* hint =
      "hint: CUDA needs the NVIDIA driver (libcuda.so.1) and a GPU; `geyser info` shows what "
      "CUDA offers; --api vulkan works on any Vulkan device\n";
  auto driver = cuda::Driver::load();
  if (!driver) {
    std::cerr << prefix
              << (cuda::driver_installed() ? "the CUDA driver cannot be used: "
                                           : "no CUDA driver is present: ")
              << driver.error().to_string() << '\n'
              << hint;
    return std::nullopt;
  }
  auto devices = cuda::list_devices(**driver);
  if (!devices || devices->empty()) {
    std::cerr << prefix << "no CUDA device: "
              << (devices ? std::string("the driver lists none") : devices.error().to_string())
              << '\n'
              << hint;
    return std::nullopt;
  }
  auto context = selector.empty() ? cuda::Context::create(**driver, pick_device(*devices))
                                  : cuda::create_selected(**driver, selector);
  if (!context && context.error().code() == ErrorCode::Validation && !selector.empty()) {
    exit_device_usage(command, context.error().message());
  }
  if (!context) {
    std::cerr << prefix << "cannot use the CUDA device: " << context.error().to_string() << '\n';
    return std::nullopt;
  }
  return std::move(context).value();
}

}  // namespace

std::unique_ptr<SendEnd> open_cuda_send_end(std::string_view command,
                                            const DeviceSelector& device) {
  auto context = open_context(command, device);
  if (!context) return nullptr;
  return std::make_unique<CudaSendEnd>(std::move(*context));
}

std::unique_ptr<RecvEnd> open_cuda_recv_end(std::string_view command,
                                            const DeviceSelector& device) {
  auto context = open_context(command, device);
  if (!context) return nullptr;
  return std::make_unique<CudaRecvEnd>(std::move(*context), std::string(command));
}

}  // namespace geyser::cli::detail
