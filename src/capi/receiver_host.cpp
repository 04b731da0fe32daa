// The host end of geyser_receiver: host::Receiver, frames as read-only mappings.
#include "geyser/host/receiver.hpp"

#include "receiver.hpp"

namespace geyser::capi {
namespace {

class HostEnd final : public ReceiverEnd {
 public:
  explicit HostEnd(host::Receiver receiver) : receiver_(std::move(receiver)) {}

  Result<void> acquire(std::chrono::milliseconds timeout, geyser_frame& out) override {
    GEYSER_TRY(host::HostFrame frame, receiver_.acquire(timeout));
    data_ = frame.bytes.data();
    out.host_data = data_;
    return {};
  }
  Result<void> release() override {
    data_ = nullptr;
    return receiver_.release();
  }
  channel::ReceiverCore& core() override { return receiver_.core(); }
  Result<const void*> host_data() override {
    if (receiver_.core().held() == nullptr) {
      return fail(ErrorCode::Validation, "the host receiver holds no frame");
    }
    return data_;
  }

 private:
  host::Receiver receiver_;
  const void* data_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<ReceiverEnd>> connect_host(const std::string& name,
                                                  std::chrono::milliseconds timeout,
                                                  const channel::ReceiverOptions& options) {
  GEYSER_TRY(auto receiver, host::Receiver::connect(name, timeout, options));
  return std::make_unique<HostEnd>(std::move(receiver));
}

}  // namespace geyser::capi
