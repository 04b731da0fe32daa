// vulkan::Receiver: connects to a named channel and imports its textures on a
// vulkan::Device. The Vulkan front of channel::ReceiverCore.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "geyser/channel/receiver_core.hpp"
#include "geyser/error.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"

namespace geyser::vulkan {

/// A frame the receiver holds. Its texture stays valid while the Receiver lives and holds
/// it, even after the sender died. In the shared layout, owned by VK_QUEUE_FAMILY_EXTERNAL:
/// read it with vulkan::readback or your own commands between the barriers of
/// Receiver::begin_access and Receiver::end_access, submitted to the receiver's device queue.
struct ReceivedFrame {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint64_t timestamp_ns = 0;      ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;        ///< which connection (1, 2, ... across reconnects)
  std::vector<std::uint8_t> metadata;  ///< what the sender gave present() (at most 256 bytes)
  VulkanSharedTexture* texture = nullptr;
  std::shared_ptr<channel::ImportedSlot> keep_alive;  ///< holds the import; internal
};

/// A connection to channel `name` on a vulkan::Device. Thread-safety: none; use it from one
/// thread; native_event_handle() may be watched from another. Move-only.
class Receiver {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender to publish it and answer.
  /// Disconnected when no sender appears in time; DeviceMismatch or Unsupported when the
  /// sender's textures cannot be imported on `device` (which must outlive the Receiver).
  [[nodiscard]] static Result<Receiver> connect(const Device& device, std::string name,
                                                std::chrono::milliseconds timeout,
                                                const channel::ReceiverOptions& options = {});

  /// The newest frame on the sender's board since the last acquire, waiting at most
  /// `timeout` for one (a receiver that reads slower than the sender gets the newest frame
  /// each time, never a stale or torn one). Releases the frame held before. When the
  /// sender is gone: Disconnected, keeping the held frame valid; the next calls reconnect
  /// when a sender publishes the name again. Timeout when no new frame came.
  ///
  /// `submission`: in `gpu` sync mode, ReadSubmission::Backend (the default) submits a
  /// semaphore wait to the device's queue, so that everything you submit later reads the
  /// written frame; ReadSubmission::Application submits nothing: your first submission that
  /// reads the frame carries the wait that begin_access() gives. In `cpu` mode acquire()
  /// never submits.
  [[nodiscard]] Result<ReceivedFrame> acquire(
      std::chrono::milliseconds timeout,
      channel::ReadSubmission submission = channel::ReadSubmission::Backend);
  /// Gives the held frame back to the sender (after the reads submitted to the device's
  /// queue): in `gpu` mode by submitting a semaphore signal, unless end_access() handed
  /// that signal to your own submission; in `cpu` mode by waiting for the queue and
  /// signalling on the CPU. A frame acquired with ReadSubmission::Application whose
  /// begin_access() was never called counts as not read: it goes back at once, with no
  /// submission and no wait, and the sender may rewrite its slot right away. Nothing to do
  /// when none is held.
  [[nodiscard]] Result<void> release();

  /// What your first submission that reads the held frame needs: the acquire barrier
  /// (VK_QUEUE_FAMILY_EXTERNAL to the device's queue family, shared layout to desc.layout)
  /// and, for a frame acquired with ReadSubmission::Application in `gpu` mode, the wait on
  /// the frame's ready semaphore (AccessScope says where each goes). Validation when no
  /// frame is held.
  [[nodiscard]] Result<AccessScope> begin_access(const AccessDesc& desc = {});
  /// What your last submission that reads the held frame needs: the release barrier
  /// (desc.layout back to the shared layout, to VK_QUEUE_FAMILY_EXTERNAL) and, in `gpu`
  /// mode, the signal that gives the frame back on the device; then call release() (or
  /// acquire()), which submits nothing more. Submit the signal: until it executes the
  /// sender cannot reuse the slot. Validation when no frame is held or its end was given.
  [[nodiscard]] Result<AccessScope> end_access(const AccessDesc& desc = {});
  /// The frame held now, if any (valid after the sender died). The pointer is valid until
  /// the next call on this receiver.
  [[nodiscard]] const ReceivedFrame* held() const noexcept;

  /// Readable while the sender has sent something: call acquire(0) then.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::ReceiverState state() const noexcept;
  [[nodiscard]] channel::ReceiverStats stats() const noexcept;
  /// The current stream's texture descriptor (valid once Connected).
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// What the current stream's texels mean (valid once Connected).
  [[nodiscard]] const ColorDescription& color() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  /// The backend-neutral receiver underneath.
  [[nodiscard]] channel::ReceiverCore& core() noexcept { return core_; }

 private:
  explicit Receiver(channel::ReceiverCore core) noexcept : core_(std::move(core)) {}
  // How the held frame goes back, from what was handed out for it.
  [[nodiscard]] channel::ReadSubmission release_mode() const noexcept;
  void reset_access(channel::ReadSubmission held_submission) noexcept;
  channel::ReceiverCore core_;
  mutable std::optional<ReceivedFrame> held_;  // what held() points at
  // How the held frame's wait was submitted, and whether end_access gave its signal away.
  channel::ReadSubmission held_submission_ = channel::ReadSubmission::Backend;
  bool begin_given_ = false;
  bool end_given_ = false;
};

}  // namespace geyser::vulkan

namespace geyser::channel {
/// The names channels had when Vulkan was their only backend.
using Receiver = vulkan::Receiver;
using ReceivedFrame = vulkan::ReceivedFrame;
}  // namespace geyser::channel
