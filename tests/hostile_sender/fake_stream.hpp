// The honest part of the fake sender: a ring of real exported Vulkan textures (through the
// channel's Vulkan sender backend, cpu sync mode) that the hostile modes describe, fill and
// announce, correctly or not.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/frame_board.hpp"
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

  /// A valid StreamDescription of the ring for one new receiver, with fresh cpu-mode links,
  /// the frame board and a fresh receiver page.
  [[nodiscard]] Result<ipc::StreamDescription> describe();
  /// Announces `record` on the board as a real sender does (the slot's word, then the
  /// record and the wake), whatever the record says.
  void announce(const ipc::FrameRecord& record);
  /// The frame the receiver released last in `slot`, as its page says.
  [[nodiscard]] std::uint64_t released(std::size_t slot) const;
  /// The frame the receiver claimed last in `slot`.
  [[nodiscard]] std::uint64_t claimed(std::size_t slot) const;
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
  std::optional<ipc::BoardWriter> board_;
  std::optional<ipc::ReceiverPage> page_;
  TextureDescriptor desc_;
  std::uint64_t generation_ = 0;
  std::uint64_t last_frame_ = 0;
};

/// A board record for `frame` in `slot` of `generation`, as the protocol wants it
/// (timeline value = frame, shared layout).
[[nodiscard]] ipc::FrameRecord frame_record(std::uint64_t generation, std::size_t slot,
                                            std::uint64_t frame);

}  // namespace geyser::hostile
