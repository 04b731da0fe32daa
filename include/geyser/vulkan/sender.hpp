// vulkan::Sender: publishes a named stream of Vulkan textures. The Vulkan front of
// channel::SenderCore (docs/architecture.md, "The channel core").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <vulkan/vulkan.h>

#include "geyser/channel/sender_core.hpp"
#include "geyser/error.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan {

namespace detail {
class VulkanSenderBackend;
}

/// A slot the application renders the next frame into (from Sender::acquire).
struct SenderFrame {
  std::uint64_t frame = 0;  ///< the frame number it will be presented as (1, 2, ...)
  std::uint32_t slot = 0;
  std::uint64_t generation = 0;
  /// The texture: in the shared layout, owned by VK_QUEUE_FAMILY_EXTERNAL (acquire it with
  /// vulkan::acquire_barrier, release it with vulkan::release_barrier, or use vulkan::upload).
  VulkanSharedTexture* texture = nullptr;
};

/// Publishes channel `name`: a ring of exportable textures on a vulkan::Device and a
/// transport name receivers connect to. Thread-safety: none; use it from one thread (all
/// transport work happens inside acquire(), present(), resize() and poll(); call poll()
/// now and then when not presenting, or when native_event_handle() is readable, so that
/// receivers get answers). Move-only; destroying it unpublishes the name, and receivers
/// see Disconnected. Receivers that misbehave (malformed messages, a wrong uid, another
/// device) are logged and dropped; the sender and the other receivers carry on.
class Sender {
 public:
  /// Publishes `name` (ipc::validate_channel_name) with textures described by `desc` on
  /// `device`, which must outlive the Sender. Validation for a bad name, descriptor or
  /// slot count, or when the name is already published by a live sender.
  [[nodiscard]] static Result<Sender> publish(const Device& device, std::string name,
                                              const TextureDescriptor& desc,
                                              const channel::SenderOptions& options = {});

  /// A free slot for the next frame, waiting at most `timeout` for receivers to release one
  /// (Timeout otherwise). The application writes the frame into it, then calls present().
  [[nodiscard]] Result<SenderFrame> acquire(std::chrono::milliseconds timeout);
  /// Announces the frame. The application's writes must have been submitted to the
  /// device's queue before. `gpu` receivers are given a semaphore signal submitted after
  /// them (no CPU wait); for `cpu` receivers the queue is drained first.
  /// `metadata` (at most 256 bytes, Validation beyond) is delivered with the frame
  /// (ReceivedFrame::metadata).
  [[nodiscard]] Result<void> present(const SenderFrame& frame,
                                     std::span<const std::uint8_t> metadata = {});
  /// The semaphore signals that announce `frame` to the `gpu` receivers, for the
  /// application to add to the pSignalSemaphoreInfos of its own vkQueueSubmit2 that writes
  /// the frame, on the device's queue (Device::queue()); present() then submits none of its
  /// own for them, only for receivers that connected since (docs/channels.md, "Signals in
  /// your own submission"). Submit them once, before present(); once submitted, the frame
  /// must be presented (timeline values cannot be signalled twice). The same span when
  /// called again for the frame; valid until present() or cancel(). Validation when `frame`
  /// is not the slot acquired last.
  [[nodiscard]] Result<std::span<const VkSemaphoreSubmitInfo>> present_signals(
      const SenderFrame& frame);
  /// Gives an acquired slot back unwritten, announcing nothing: what to do when writing the
  /// frame failed. The next acquire may hand the slot out again (with a new frame number if
  /// present_signals was called for it).
  void cancel(const SenderFrame& frame) noexcept;
  /// acquire + vulkan::upload + present: writes `bytes` (tightly packed) as the next frame.
  [[nodiscard]] Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                            std::chrono::milliseconds timeout,
                                            std::span<const std::uint8_t> metadata = {});
  /// Starts a new generation with textures described by `desc`: receivers re-import. Waits
  /// for the queue to be idle first.
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc);
  /// The same, with a new colour description (SenderOptions::color at first).
  [[nodiscard]] Result<void> resize(const TextureDescriptor& desc, const ColorDescription& color);
  /// Accepts receivers, answers listers, reads what receivers sent; waits at most `timeout` for
  /// something to happen and returns after the first activity (it does not pace: loop on it
  /// until your frame time is up).
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Readable while there is work for poll() (a receiver connecting or leaving); for a
  /// GLib, Qt or asio main loop. Owned by the sender.
  [[nodiscard]] NativeHandle native_event_handle() const noexcept;
  [[nodiscard]] channel::SenderStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  /// The backend-neutral sender underneath.
  [[nodiscard]] channel::SenderCore& core() noexcept { return core_; }

 private:
  Sender(channel::SenderCore core, detail::VulkanSenderBackend* backend) noexcept
      : core_(std::move(core)), backend_(backend) {}
  channel::SenderCore core_;
  detail::VulkanSenderBackend* backend_;  // owned by core_
};

}  // namespace geyser::vulkan

namespace geyser::channel {
/// The names channels had when Vulkan was their only backend.
using Sender = vulkan::Sender;
using SenderFrame = vulkan::SenderFrame;
}  // namespace geyser::channel
