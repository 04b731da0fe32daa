// The honest part of the fake sender: a ring of real exported Vulkan textures (through the
// channel's Vulkan sender backend, cpu sync mode) that the hostile modes describe, fill and
// announce, correctly or not.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/ipc/wire.hpp"
#include "geyser/vulkan/device.hpp"
#include "sender_backend.hpp"

namespace geyser::hostile {

/// What every fake stream is: small, RGBA8, two slots.
inline constexpr std::uint32_t kWidth = 64;
inline constexpr std::uint32_t kHeight = 64;
inline constexpr std::size_t kSlots = 2;

class FakeStream {
 public:
  /// A headless device (lavapipe here) and a ring of kSlots exportable textures.
  [[nodiscard]] static Result<std::unique_ptr<FakeStream>> create();

  /// A valid StreamDescription of the ring for one new receiver, with fresh cpu-mode links.
  [[nodiscard]] Result<ipc::StreamDescription> describe();
  /// Writes the test pattern of frame `pattern` into `slot` and signals the slot's ready
  /// timeline to `frame`, as a real sender's present does; announces nothing.
  [[nodiscard]] Result<void> write_and_signal(std::size_t slot, std::uint64_t frame,
                                              std::uint64_t pattern);
  /// The next frame number. Frames rise across connections: the backend's progress
  /// timeline is signalled with them and must never go back.
  [[nodiscard]] std::uint64_t next_frame() noexcept { return ++last_frame_; }

 private:
  FakeStream() = default;
  std::unique_ptr<vulkan::Device> device_;  // before backend_: outlives it
  std::unique_ptr<vulkan::detail::VulkanSenderBackend> backend_;
  std::vector<std::unique_ptr<channel::ProducerLink>> links_;
  TextureDescriptor desc_;
  std::uint64_t generation_ = 0;
  std::uint64_t last_frame_ = 0;
};

/// A FramePresented for `frame` in `slot` of the current generation, as the protocol wants
/// it (timeline value = frame, shared layout).
[[nodiscard]] ipc::FramePresented frame_message(std::uint64_t generation, std::size_t slot,
                                                std::uint64_t frame);

}  // namespace geyser::hostile
