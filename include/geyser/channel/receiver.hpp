// Receiver: connects to a named channel and gets its newest frame, across sender restarts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "geyser/error.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::channel {

/// Options for Receiver::connect.
struct ReceiverOptions {
  /// The runtime directory; empty: ipc::runtime_dir().
  std::filesystem::path runtime_dir;
  /// How long release() waits for the GPU in `cpu` sync mode before failing.
  std::chrono::milliseconds gpu_timeout{10000};
};

/// Where a receiver stands.
enum class ReceiverState : std::uint8_t {
  Connected,     ///< connected and has the stream description
  Waiting,       ///< connected, no stream description yet
  Disconnected,  ///< the sender is gone; acquire() tries to reconnect
};
[[nodiscard]] std::string_view to_string(ReceiverState state) noexcept;

class Receiver;
struct ImportedSlot;

/// A frame the receiver holds. Its texture stays valid while the Receiver lives and holds
/// it, even after the sender died. In the shared layout, owned by VK_QUEUE_FAMILY_EXTERNAL:
/// read it with vulkan::readback or your own commands between vulkan::acquire_barrier and
/// vulkan::release_barrier, submitted to the receiver's device queue.
struct ReceivedFrame {
  std::uint64_t frame = 0;
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint64_t timestamp_ns = 0;  ///< the sender's CLOCK_MONOTONIC at present()
  std::uint64_t connection = 0;    ///< which connection (1, 2, ... across reconnects)
  vulkan::VulkanSharedTexture* texture = nullptr;
  std::shared_ptr<ImportedSlot> keep_alive;  ///< holds the import; internal
};

/// Figures about a receiver.
struct ReceiverStats {
  std::uint64_t frames_acquired = 0;
  std::uint64_t frames_skipped = 0;  ///< presented but superseded before acquire
  std::uint64_t reconnects = 0;
  std::uint64_t imports = 0;  ///< textures imported (once per generation and slot)
  SyncMode sync_mode = SyncMode::Cpu;
};

/// A connection to channel `name`. Single-threaded. Move-only.
class Receiver {
 public:
  /// Connects to `name`, waiting at most `timeout` for a sender to publish it and answer.
  /// Disconnected when no sender appears in time; DeviceMismatch or Unsupported when the
  /// sender's textures cannot be imported on `device` (which must outlive the Receiver).
  [[nodiscard]] static Result<Receiver> connect(const vulkan::Device& device, std::string name,
                                                std::chrono::milliseconds timeout,
                                                const ReceiverOptions& options = {});

  /// The newest frame the sender has presented since the last acquire, waiting at most
  /// `timeout` for one. Releases the frame held before (and every frame skipped). When the
  /// sender is gone: Disconnected, keeping the held frame valid; the next calls reconnect
  /// when a sender publishes the name again. Timeout when no new frame came.
  [[nodiscard]] Result<ReceivedFrame> acquire(std::chrono::milliseconds timeout);
  /// Gives the held frame back to the sender (after the reads submitted to the device's
  /// queue). Nothing to do when none is held.
  [[nodiscard]] Result<void> release();
  /// The frame held now, if any (valid after the sender died).
  [[nodiscard]] const ReceivedFrame* held() const noexcept;

  [[nodiscard]] ReceiverState state() const noexcept;
  [[nodiscard]] ReceiverStats stats() const noexcept;
  /// The current stream's texture descriptor (valid once Connected).
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;

  Receiver(Receiver&&) noexcept;
  Receiver& operator=(Receiver&&) noexcept;
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver();

 private:
  struct State;
  explicit Receiver(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace geyser::channel
