// The OpenGL consumer backend of the channel core.
#include "receiver_backend.hpp"

#include <epoxy/gl.h>

#include "geyser/opengl/fence.hpp"
#include "geyser/opengl/identity.hpp"

namespace geyser::opengl::detail {

Result<std::unique_ptr<GlReceiverBackend>> GlReceiverBackend::create() {
  const GlCapabilities caps = capabilities();
  if (caps.renderer.empty()) {
    return fail(ErrorCode::Validation, "opengl::Receiver: no OpenGL context is current");
  }
  if (!caps.memory_object_fd) {
    return fail(ErrorCode::Unsupported,
                "opengl::Receiver: the context lacks "
                "GL_EXT_memory_object_fd (" +
                    caps.renderer + ")");
  }
  GEYSER_TRY(const DeviceIdentity identity, current_identity());
  // The sender creates and exports both timelines of a slot; this side only imports them.
  const bool timelines = can_import_timeline_semaphores();
  return std::unique_ptr<GlReceiverBackend>(
      new GlReceiverBackend(identity, caps.renderer, SyncCapabilities{false, timelines}));
}

Result<std::shared_ptr<channel::ImportedSlot>> GlReceiverBackend::import_slot(
    channel::SlotImport slot) {
  auto imported = std::make_shared<GlImportedSlot>();
  GEYSER_TRY(imported->texture, import_texture(slot.memory));
  imported->mode = slot.mode;
  if (slot.mode == SyncMode::Gpu) {
    GEYSER_TRY(imported->ready_gpu, GlTimelineSemaphore::import(slot.sync.ready));
    GEYSER_TRY(imported->released_gpu, GlTimelineSemaphore::import(slot.sync.released));
  } else {
    GEYSER_TRY(imported->ready_cpu, CpuTimeline::open(std::move(slot.sync.ready)));
    GEYSER_TRY(imported->released_cpu, CpuTimeline::open(std::move(slot.sync.released)));
  }
  return std::shared_ptr<channel::ImportedSlot>(std::move(imported));
}

Result<void> GlReceiverBackend::begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                           std::chrono::milliseconds timeout,
                                           channel::ReadSubmission /*submission*/) {
  // GL has no submissions of the application's to put the wait into: GL's command stream
  // is ordered, so a wait queued here orders every later command in this context.
  GlImportedSlot& gl = as_gl_slot(slot);
  if (gl.mode == SyncMode::Gpu) {
    // Queued only after the sender announced the frame, so its signal was queued first.
    return gl.ready_gpu->wait(frame, gl.texture.texture(), GlLayout::General);
  }
  return gl.ready_cpu->wait(frame, timeout);
}

Result<void> GlReceiverBackend::end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                         std::chrono::milliseconds timeout,
                                         channel::ReadSubmission submission) {
  GlImportedSlot& gl = as_gl_slot(slot);
  if (gl.mode == SyncMode::Gpu) {
    // Unread: the page tells the sender, and the timeline stays where it is.
    if (submission == channel::ReadSubmission::Unread) return {};
    return gl.released_gpu->signal(frame, gl.texture.texture(), GlLayout::General);
  }
  if (submission != channel::ReadSubmission::Unread) GEYSER_TRY_VOID(opengl::finish(timeout));
  gl.released_cpu->signal(frame);
  return {};
}

Result<void> GlReceiverBackend::skip(channel::ImportedSlot& slot, std::uint64_t frame) {
  GlImportedSlot& gl = as_gl_slot(slot);
  // Gpu mode: queued after earlier release signals, so the timeline only rises.
  if (gl.mode == SyncMode::Gpu) {
    return gl.released_gpu->signal(frame, gl.texture.texture(), GlLayout::General);
  }
  gl.released_cpu->signal(frame);
  return {};
}

Result<void> GlReceiverBackend::wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                             std::chrono::milliseconds timeout) {
  GlImportedSlot& gl = as_gl_slot(slot);
  if (gl.mode == SyncMode::Cpu) return gl.ready_cpu->wait(frame, timeout);
  // GL can wait for a semaphore only on the GPU, where a signal that never comes (its
  // sender died before submitting it) would stall the context for good: a departed
  // sender's last frame is not taken in gpu mode.
  return fail(ErrorCode::Timeout,
              "opengl::Receiver: GL cannot wait for a semaphore on the CPU; the departed "
              "sender's last frame is not taken");
}

Result<void> GlReceiverBackend::finish(std::chrono::milliseconds timeout) {
  return opengl::finish(timeout);
}

void GlReceiverBackend::wait_idle() noexcept {
  glFinish();
}

}  // namespace geyser::opengl::detail
