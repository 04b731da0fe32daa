// The host ends of `geyser send --api host` and `geyser recv --api host` (docs/host-frames.md):
// host::Sender, whose frames the CPU writes into memory of its own, and host::Receiver,
// which takes a channel's frames as read-only mappings of shared host memory. No GPU, no
// context: writing a frame is copying its texels in, reading one copying its rows out.
#include <optional>

#include "ends.hpp"
#include "geyser/host/receiver.hpp"
#include "geyser/host/sender.hpp"

namespace geyser::cli::detail {
namespace {

class HostSendEnd final : public SendEnd {
 public:
  Result<void> publish(const std::string& name, const TextureDescriptor& desc,
                       const channel::SenderOptions& options) override {
    GEYSER_TRY(auto sender, host::Sender::publish(name, desc, options));
    sender_.emplace(std::move(sender));
    return {};
  }
  channel::SenderCore& core() override { return sender_->core(); }
  std::string device_name() const override { return "host memory"; }

 private:
  std::optional<host::Sender> sender_;
};

class HostRecvEnd final : public RecvEnd {
 public:
  Result<void> connect(const std::string& name, std::chrono::milliseconds timeout,
                       const channel::ReceiverOptions& options) override {
    // host::Receiver always asks for host frames, whatever options.transfer says.
    GEYSER_TRY(auto receiver, host::Receiver::connect(name, timeout, options));
    receiver_.emplace(std::move(receiver));
    return {};
  }
  channel::ReceiverCore& core() override { return receiver_->core(); }
  Result<std::vector<std::uint8_t>> read_held() override {
    const channel::FrameLease* held = receiver_->core().held();
    if (held == nullptr) return fail(ErrorCode::Validation, "no frame is held");
    return host::frame_view(*held).packed();
  }
  std::string device_name() const override { return "host memory"; }

 private:
  std::optional<host::Receiver> receiver_;
};

}  // namespace

std::unique_ptr<SendEnd> open_host_send_end(std::string_view command) {
  (void)command;  // nothing to open: host memory is always there
  return std::make_unique<HostSendEnd>();
}

std::unique_ptr<RecvEnd> open_host_recv_end(std::string_view command) {
  (void)command;  // nothing to open: host memory is always there
  return std::make_unique<HostRecvEnd>();
}

}  // namespace geyser::cli::detail
