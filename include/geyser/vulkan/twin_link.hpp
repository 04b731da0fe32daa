// A producer link for backends whose ring lives on a hidden Vulkan "twin" device of the
// same GPU (the OpenGL and CUDA senders): the slot's TextureSync is made on the twin, which
// never submits for it, and in `gpu` mode the API that writes the frames imports the
// receiver's ready timeline and signals it itself.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "geyser/channel/backend.hpp"
#include "geyser/vulkan/texture_sync.hpp"

namespace geyser::vulkan {

/// `ReadySignal`: the writing API's import of the ready timeline (opengl::GlTimelineSemaphore,
/// cuda::TimelineSemaphore); empty in `cpu` mode, where the TextureSync's CpuTimeline is
/// signalled instead.
template <typename ReadySignal>
class TwinProducerLink final : public channel::ProducerLink {
 public:
  TwinProducerLink(TextureSync sync, std::optional<ReadySignal> ready)
      : sync_(std::move(sync)), ready_(std::move(ready)) {}
  [[nodiscard]] SyncMode mode() const noexcept override { return sync_.mode(); }
  [[nodiscard]] Result<channel::SlotSyncHandles> export_handles() const override {
    GEYSER_TRY(SyncShareHandles handles, sync_.export_handles());
    return channel::SlotSyncHandles{std::move(handles.ready), std::move(handles.released)};
  }
  [[nodiscard]] Result<std::uint64_t> released_value() const override { return sync_.peer_value(); }
  [[nodiscard]] TextureSync& sync() noexcept { return sync_; }
  /// The writing API's ready timeline (gpu mode only).
  [[nodiscard]] const ReadySignal& ready() const noexcept { return *ready_; }

 private:
  TextureSync sync_;
  std::optional<ReadySignal> ready_;
};

}  // namespace geyser::vulkan
