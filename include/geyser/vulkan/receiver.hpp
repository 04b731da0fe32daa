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

namespace geyser::vulkan {

/// A frame the receiver holds. Its texture stays valid while the Receiver lives and holds
/// it, even after the sender died. In the shared layout, owned by VK_QUEUE_FAMILY_EXTERNAL:
/// read it with vulkan::readback or your own commands between vulkan::acquire_barrier and
/// vulkan::release_barrier, submitted to the receiver's device queue.
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
  [[nodiscard]] Result<ReceivedFrame> acquire(std::chrono::milliseconds timeout);
  /// Gives the held frame back to the sender (after the reads submitted to the device's
  /// queue). Nothing to do when none is held.
  [[nodiscard]] Result<void> release();
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
  channel::ReceiverCore core_;
  mutable std::optional<ReceivedFrame> held_;  // what held() points at
};

}  // namespace geyser::vulkan

namespace geyser::channel {
/// The names channels had when Vulkan was their only backend.
using Receiver = vulkan::Receiver;
using ReceivedFrame = vulkan::ReceivedFrame;
}  // namespace geyser::channel
