// Internal: the OpenGL consumer backend of the channel core: imports slots into the
// current GL context and orders GL's reads after the sender's writes, with imported
// timeline semaphores (gpu mode) or CpuTimelines and GL fences (cpu mode).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "geyser/channel/backend.hpp"
#include "geyser/cpu_timeline.hpp"
#include "geyser/opengl/semaphore.hpp"
#include "geyser/opengl/texture.hpp"

namespace geyser::opengl::detail {

/// One imported slot: its GL texture and, by mode, its semaphores or CPU timelines.
struct GlImportedSlot final : channel::ImportedSlot {
  GlTexture texture;
  SyncMode mode = SyncMode::Cpu;
  std::optional<GlTimelineSemaphore> ready_gpu;  // gpu mode
  std::optional<GlTimelineSemaphore> released_gpu;
  std::optional<CpuTimeline> ready_cpu;  // cpu mode
  std::optional<CpuTimeline> released_cpu;
};

class GlReceiverBackend final : public channel::ReceiverBackend {
 public:
  /// A backend in the current context. Validation with none; Unsupported when it has no
  /// GL_EXT_memory_object_fd or no identity to compare.
  [[nodiscard]] static Result<std::unique_ptr<GlReceiverBackend>> create();

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override { return identity_; }
  [[nodiscard]] std::string device_name() const override { return renderer_; }
  [[nodiscard]] SyncCapabilities sync_capabilities() const override { return caps_; }
  /// Not yet: a GL receiver of another device's sender is DeviceMismatch.
  [[nodiscard]] bool imports_host_frames() const noexcept override { return false; }
  [[nodiscard]] Result<std::shared_ptr<channel::ImportedSlot>> import_slot(
      channel::SlotImport slot) override;
  [[nodiscard]] Result<void> begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                        std::chrono::milliseconds timeout,
                                        channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                      std::chrono::milliseconds timeout,
                                      channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> skip(channel::ImportedSlot& slot, std::uint64_t frame) override;
  [[nodiscard]] Result<void> wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                          std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> finish(std::chrono::milliseconds timeout) override;
  void wait_idle() noexcept override;

 private:
  GlReceiverBackend(DeviceIdentity identity, std::string renderer, SyncCapabilities caps)
      : identity_(identity), renderer_(std::move(renderer)), caps_(caps) {}
  DeviceIdentity identity_;
  std::string renderer_;
  SyncCapabilities caps_;
};

[[nodiscard]] inline GlImportedSlot& as_gl_slot(channel::ImportedSlot& slot) noexcept {
  return static_cast<GlImportedSlot&>(slot);
}

}  // namespace geyser::opengl::detail
