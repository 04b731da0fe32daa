// The host end of geyser_sender: host::Sender, slots as host memory the CPU writes.
#include "geyser/host/sender.hpp"

#include <cstddef>

#include "sender.hpp"

namespace geyser::capi {
namespace {

class HostEnd final : public TypedEnd<host::Sender, host::SenderFrame> {
 public:
  using TypedEnd::TypedEnd;

  // A caller built before version 3 has no host_data to receive the slot in: refused
  // before a slot is taken.
  Result<void> acquire(std::chrono::milliseconds timeout, geyser_slot& out) override {
    if (out.struct_size < offsetof(geyser_slot, host_row_pitch) + sizeof out.host_row_pitch) {
      return fail(ErrorCode::Validation,
                  "geyser_slot: struct_size " + std::to_string(out.struct_size) +
                      " ends before host_data and host_row_pitch (C API version 3), which a "
                      "HOST sender's slot needs");
    }
    return TypedEnd::acquire(timeout, out);
  }

 private:
  void fill(const host::SenderFrame& frame, geyser_slot& out) const override {
    out.host_data = frame.bytes.data();
    out.host_row_pitch = frame.row_pitch;
  }
};

}  // namespace

Result<std::unique_ptr<SenderEnd>> publish_host(const geyser_device* device,
                                                const std::string& name,
                                                const TextureDescriptor& desc,
                                                const channel::SenderOptions& options) {
  if (device != nullptr) {
    return fail(ErrorCode::Validation,
                "geyser_sender_options.device: a HOST sender uses no device (leave it NULL)");
  }
  GEYSER_TRY(auto sender, host::Sender::publish(name, desc, options));
  return std::make_unique<HostEnd>(nullptr, std::move(sender));
}

}  // namespace geyser::capi
