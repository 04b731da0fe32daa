// The host end of `geyser recv --api host`: host::Receiver, which takes the channel's frames
// as read-only mappings of shared host memory (docs/host-frames.md). No GPU, no context:
// reading a frame is copying its rows out of the mapping.
#include <optional>

#include "ends.hpp"
#include "geyser/host/receiver.hpp"

namespace geyser::cli::detail {
namespace {

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

std::unique_ptr<RecvEnd> open_host_recv_end(std::string_view command) {
  (void)command;  // nothing to open: host memory is always there
  return std::make_unique<HostRecvEnd>();
}

}  // namespace geyser::cli::detail
