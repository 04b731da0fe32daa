// The access protocol on a shared texture (docs/architecture.md, rules 4 and 5): who waits for
// what, who signals what, in which layout, in either sync mode.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <vulkan/vulkan.h>

#include "geyser/cpu_timeline.hpp"
#include "geyser/sync.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan {

/// Which side of a shared texture a TextureSync is.
enum class SyncRole : std::uint8_t {
  Producer,  ///< writes frames; waits for `released`, signals `ready`
  Consumer,  ///< reads frames; waits for `ready`, signals `released`
};

/// What a consumer needs to join a producer's TextureSync. In Gpu mode the fds are opaque
/// timeline-semaphore fds; in Cpu mode they are CpuTimeline memfds. Owns both fds.
struct SyncShareHandles {
  SyncMode mode = SyncMode::Cpu;
  UniqueHandle ready;     ///< the producer signals frame N here when frame N is written
  UniqueHandle released;  ///< the consumer signals frame N here when it is done reading frame N
  DeviceIdentity identity;
};

/// How your commands use the texture during an access.
struct AccessDesc {
  VkImageLayout layout = VK_IMAGE_LAYOUT_GENERAL;
  VkPipelineStageFlags2 stages = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  VkAccessFlags2 access = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT;
};

/// What to put into your own vkQueueSubmit2 to begin or end an access: the barrier goes
/// into a vkCmdPipelineBarrier2 at the start (begin) or end (end) of your commands; the
/// semaphore (Gpu mode only) into the submit's pWaitSemaphoreInfos (begin) or
/// pSignalSemaphoreInfos (end).
struct AccessScope {
  VkImageMemoryBarrier2 barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  std::optional<VkSemaphoreSubmitInfo> semaphore;
};

/// Semaphores for Geyser's own submissions (upload, readback).
struct SubmitSemaphores {
  std::vector<VkSemaphoreSubmitInfo> waits;
  std::vector<VkSemaphoreSubmitInfo> signals;
};

/// One side of the synchronization of one shared texture. The producer creates it and
/// exports its handles; the consumer joins with them. Frame values are the application's
/// increasing frame numbers: the producer signals `ready` = N when frame N is written, the
/// consumer signals `released` = N when done with it, and a producer that reuses the
/// texture for a later frame first waits for `released` to reach the last frame the
/// consumer was given in it.
///
/// Two ways to use it:
/// - Your own commands: begin_access/end_access give the barriers and (Gpu mode) the
///   semaphore wait/signal for your vkQueueSubmit2: no CPU wait on the path. In Cpu mode,
///   call wait_for_texture before submitting, wait for your submission's fence, then call
///   signal_texture_ready.
/// - Geyser's helpers: write (producer) and read (consumer) do all of it, waiting on the
///   CPU with a timeout, so a dead peer never hangs them.
///
/// Move-only. Keeps a pointer to the texture, which must outlive it. Not thread-safe: use
/// each TextureSync from one thread at a time (the two sides are normally in two processes).
class TextureSync {
 public:
  /// The producer's side for `texture`, in `mode` (Gpu creates two exportable timeline
  /// semaphores: Unsupported if the device cannot; Cpu creates two CpuTimelines).
  [[nodiscard]] static Result<TextureSync> create_producer(VulkanTextureShareManager& manager,
                                                           VulkanSharedTexture& texture,
                                                           SyncMode mode);
  /// The consumer's side, from the producer's handles. Does not consume them.
  /// DeviceMismatch (Gpu mode) when they come from another device.
  [[nodiscard]] static Result<TextureSync> create_consumer(VulkanTextureShareManager& manager,
                                                           VulkanSharedTexture& texture,
                                                           const SyncShareHandles& handles);

  /// Producer only: new fds for a consumer.
  [[nodiscard]] Result<SyncShareHandles> export_handles() const;

  [[nodiscard]] SyncMode mode() const noexcept { return mode_; }
  [[nodiscard]] SyncRole role() const noexcept { return role_; }
  [[nodiscard]] VulkanSharedTexture& texture() const noexcept { return *texture_; }

  /// Begins an access: the acquire barrier from VK_QUEUE_FAMILY_EXTERNAL (shared layout ->
  /// desc.layout) and, in Gpu mode, a wait for the incoming timeline to reach `wait_value`
  /// (0: no wait). The producer's incoming timeline is `released`, the consumer's `ready`.
  [[nodiscard]] AccessScope begin_access(std::uint64_t wait_value, const AccessDesc& desc) const;
  /// Ends an access: the release barrier to VK_QUEUE_FAMILY_EXTERNAL (desc.layout -> shared
  /// layout) and, in Gpu mode, a signal of the outgoing timeline to `signal_value`. Marks
  /// the texture released.
  [[nodiscard]] AccessScope end_access(std::uint64_t signal_value, const AccessDesc& desc);

  /// Waits on the CPU until the incoming timeline reaches `value`; Timeout after `timeout`.
  [[nodiscard]] Result<void> wait_for_texture(std::uint64_t value,
                                              std::chrono::nanoseconds timeout) const;
  /// Cpu mode: advances the outgoing CPU timeline to `value`; call it after the fence of the
  /// submission that ended the access has signalled. Gpu mode: nothing to do (the
  /// submission's signal did it), returns success.
  [[nodiscard]] Result<void> signal_texture_ready(std::uint64_t value);

  /// Gpu mode: a wait for the incoming timeline to reach `value` at `stages`, for a submit.
  /// Cpu mode: nullopt (wait with wait_for_texture instead).
  [[nodiscard]] std::optional<VkSemaphoreSubmitInfo> incoming_wait(
      std::uint64_t value, VkPipelineStageFlags2 stages) const;
  /// Gpu mode: a signal of the outgoing timeline to `value` covering all earlier commands,
  /// for a submit. Cpu mode: nullopt (use signal_texture_ready after the fence).
  [[nodiscard]] std::optional<VkSemaphoreSubmitInfo> outgoing_signal(std::uint64_t value) const;
  /// Advances the outgoing timeline to `value` from the host, in either mode (for a frame
  /// that is given back unread). Gpu mode: `value` must be above the current value and no
  /// GPU signal of this timeline may be pending.
  [[nodiscard]] Result<void> signal_on_host(std::uint64_t value);

  /// The current value of the incoming timeline (what the peer has signalled).
  [[nodiscard]] Result<std::uint64_t> peer_value() const;

  /// Producer helper: waits (CPU, `timeout`) until the consumer has released
  /// `reuse_after` (0: the texture is fresh), uploads `bytes`, and signals frame `frame`.
  [[nodiscard]] Result<void> write(std::span<const std::uint8_t> bytes, std::uint64_t frame,
                                   std::uint64_t reuse_after, std::chrono::nanoseconds timeout);
  /// Consumer helper: waits (CPU, `timeout`) for frame `frame`, reads the texture back and
  /// releases frame `frame`.
  [[nodiscard]] Result<std::vector<std::uint8_t>> read(std::uint64_t frame,
                                                       std::chrono::nanoseconds timeout);

  TextureSync(TextureSync&&) noexcept = default;
  TextureSync& operator=(TextureSync&&) noexcept = default;
  TextureSync(const TextureSync&) = delete;
  TextureSync& operator=(const TextureSync&) = delete;
  ~TextureSync() = default;

 private:
  TextureSync(VulkanSharedTexture& texture, SyncMode mode, SyncRole role)
      : texture_(&texture), mode_(mode), role_(role) {}
  // The timeline this side waits on and the one it signals.
  const VulkanSharedSemaphore* incoming_semaphore() const;
  const VulkanSharedSemaphore* outgoing_semaphore() const;
  const CpuTimeline* incoming_timeline() const;
  CpuTimeline* outgoing_timeline();
  SubmitSemaphores submit_semaphores(std::uint64_t wait_value, std::uint64_t signal_value) const;

  VulkanSharedTexture* texture_;
  SyncMode mode_;
  SyncRole role_;
  // Gpu mode.
  std::unique_ptr<VulkanSharedSemaphore> ready_semaphore_;
  std::unique_ptr<VulkanSharedSemaphore> released_semaphore_;
  // Cpu mode.
  std::optional<CpuTimeline> ready_timeline_;
  std::optional<CpuTimeline> released_timeline_;
};

}  // namespace geyser::vulkan
