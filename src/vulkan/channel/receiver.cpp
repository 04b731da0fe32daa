// vulkan::Receiver: ReceiverCore over VulkanReceiverBackend, with typed frames.
#include "geyser/vulkan/receiver.hpp"

#include "receiver_backend.hpp"

namespace geyser::vulkan {
namespace {

ReceivedFrame typed(const channel::FrameLease& lease) {
  ReceivedFrame out;
  out.frame = lease.frame;
  out.generation = lease.generation;
  out.slot = lease.slot;
  out.timestamp_ns = lease.timestamp_ns;
  out.connection = lease.connection;
  out.metadata = lease.metadata;
  out.texture = detail::as_vulkan_slot(*lease.slot_import).texture.get();
  out.keep_alive = lease.slot_import;
  return out;
}

}  // namespace

Result<Receiver> Receiver::connect(const Device& device, std::string name,
                                   std::chrono::milliseconds timeout,
                                   const channel::ReceiverOptions& options) {
  GEYSER_TRY(auto core,
             channel::ReceiverCore::connect(std::make_unique<detail::VulkanReceiverBackend>(device),
                                            std::move(name), timeout, options));
  return Receiver(std::move(core));
}

Result<ReceivedFrame> Receiver::acquire(std::chrono::milliseconds timeout,
                                        channel::ReadSubmission submission) {
  if (submission == channel::ReadSubmission::Unread) {
    return fail(ErrorCode::Validation,
                "Receiver::acquire: ReadSubmission::Unread is for releases; acquire with "
                "Backend or Application");
  }
  // The held frame stays held unless a new one replaces it (a Timeout keeps it), so the
  // core is told how to give it back, and the access state is reset only when it did.
  auto acquired = core_.acquire(timeout, submission, release_mode());
  if (!acquired) {
    if (core_.held() == nullptr) reset_access(channel::ReadSubmission::Backend);
    return tl::unexpected(std::move(acquired).error());
  }
  reset_access(submission);
  return typed(*acquired);
}

Result<void> Receiver::release() {
  const channel::ReadSubmission mode = release_mode();
  reset_access(channel::ReadSubmission::Backend);
  return core_.release(mode);
}

channel::ReadSubmission Receiver::release_mode() const noexcept {
  // end_access handed the signal out: never submitted twice. Acquired for the application
  // and never begun: not read on the device.
  if (end_given_) return channel::ReadSubmission::Application;
  if (held_submission_ == channel::ReadSubmission::Application && !begin_given_) {
    return channel::ReadSubmission::Unread;
  }
  return channel::ReadSubmission::Backend;
}

void Receiver::reset_access(channel::ReadSubmission held_submission) noexcept {
  held_submission_ = held_submission;
  begin_given_ = false;
  end_given_ = false;
}

Result<AccessScope> Receiver::begin_access(const AccessDesc& desc) {
  const channel::FrameLease* lease = core_.held();
  if (lease == nullptr) {
    return fail(ErrorCode::Validation, "Receiver::begin_access: no frame is held");
  }
  const TextureSync& sync = *detail::as_vulkan_slot(*lease->slot_import).sync;
  // A frame whose wait acquire() submitted needs none in the application's submission.
  const bool waits = held_submission_ == channel::ReadSubmission::Application;
  begin_given_ = true;
  return sync.begin_access(waits ? lease->frame : 0, desc);
}

Result<AccessScope> Receiver::end_access(const AccessDesc& desc) {
  const channel::FrameLease* lease = core_.held();
  if (lease == nullptr || end_given_) {
    return fail(ErrorCode::Validation,
                lease == nullptr ? "Receiver::end_access: no frame is held"
                                 : "Receiver::end_access: already called for the held frame");
  }
  TextureSync& sync = *detail::as_vulkan_slot(*lease->slot_import).sync;
  end_given_ = true;
  return sync.end_access(lease->frame, desc);
}

const ReceivedFrame* Receiver::held() const noexcept {
  const channel::FrameLease* lease = core_.held();
  if (lease == nullptr) {
    held_.reset();
    return nullptr;
  }
  held_ = typed(*lease);
  return &*held_;
}

NativeHandle Receiver::native_event_handle() const noexcept {
  return core_.native_event_handle();
}
channel::ReceiverState Receiver::state() const noexcept {
  return core_.state();
}
channel::ReceiverStats Receiver::stats() const noexcept {
  return core_.stats();
}
const TextureDescriptor& Receiver::descriptor() const noexcept {
  return core_.descriptor();
}
const ColorDescription& Receiver::color() const noexcept {
  return core_.color();
}
const std::string& Receiver::name() const noexcept {
  return core_.name();
}

}  // namespace geyser::vulkan
