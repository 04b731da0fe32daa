// The OpenGL producer backend of the channel core.
#include "sender_backend.hpp"

#include <epoxy/gl.h>

#include <optional>
#include <string>

#include "geyser/opengl/identity.hpp"
#include "geyser/opengl/semaphore.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "geyser/vulkan/twin_link.hpp"
#include "vulkan_twin.hpp"

namespace geyser::opengl::detail {
namespace {

using GlProducerLink = vulkan::TwinProducerLink<GlTimelineSemaphore>;

GlProducerLink& as_gl_link(channel::ProducerLink* link) noexcept {
  return *static_cast<GlProducerLink*>(link);
}

}  // namespace

Result<std::unique_ptr<GlSenderBackend>> GlSenderBackend::create() {
  const GlCapabilities caps = capabilities();
  if (caps.renderer.empty()) {
    return fail(ErrorCode::Validation, "opengl::Sender: no OpenGL context is current");
  }
  if (!caps.memory_object_fd) {
    return fail(ErrorCode::Unsupported,
                "opengl::Sender: the context lacks "
                "GL_EXT_memory_object_fd (" +
                    caps.renderer + ")");
  }
  GEYSER_TRY(const DeviceIdentity identity, current_identity());
  GEYSER_TRY(auto device, vulkan_twin(identity));
  return std::unique_ptr<GlSenderBackend>(
      new GlSenderBackend(std::move(device), caps.renderer, can_import_timeline_semaphores()));
}

GlSenderBackend::GlSenderBackend(std::unique_ptr<vulkan::Device> device, std::string renderer,
                                 bool gl_timelines)
    : device_(std::move(device)),
      manager_(*device_),
      renderer_(std::move(renderer)),
      host_(*device_) {
  // Gpu receivers need the hidden device to export timelines and GL to signal them.
  const SyncCapabilities vk = manager_.sync_capabilities();
  caps_ = SyncCapabilities{vk.timeline_export && gl_timelines, vk.timeline_import && gl_timelines};
}

GlSenderBackend::~GlSenderBackend() {
  // GL must be done with the textures and semaphores before they go.
  glFinish();
  retired_.clear();
  slots_.clear();
}

const DeviceIdentity& GlSenderBackend::identity() const noexcept {
  return device_->identity();
}

std::string GlSenderBackend::device_name() const {
  return renderer_;
}

Result<void> GlSenderBackend::create_slots(const TextureDescriptor& desc, std::size_t count) {
  std::vector<Slot> fresh(count);
  for (Slot& slot : fresh) {
    GEYSER_TRY(slot.vk, manager_.create(desc));
    GEYSER_TRY(slot.handle, manager_.export_texture(*slot.vk));
    GEYSER_TRY(slot.gl, import_texture(slot.handle));
  }
  // GL must be done with the old ring and with every retired link.
  glFinish();
  retired_.clear();
  slots_ = std::move(fresh);
  return {};
}

const TextureShareHandle& GlSenderBackend::slot_export(std::size_t slot) const {
  return slots_[slot].handle;
}

Result<std::unique_ptr<channel::ProducerLink>> GlSenderBackend::create_link(std::size_t slot,
                                                                            SyncMode mode) {
  GEYSER_TRY(vulkan::TextureSync sync,
             vulkan::TextureSync::create_producer(manager_, *slots_[slot].vk, mode));
  std::optional<GlTimelineSemaphore> ready;
  if (mode == SyncMode::Gpu) {
    GEYSER_TRY(const vulkan::SyncShareHandles handles, sync.export_handles());
    GEYSER_TRY(ready, GlTimelineSemaphore::import(handles.ready));
  }
  return std::unique_ptr<channel::ProducerLink>(
      new GlProducerLink(std::move(sync), std::move(ready)));
}

Result<void> GlSenderBackend::present(std::size_t slot, std::uint64_t frame,
                                      std::span<channel::ProducerLink* const> links,
                                      std::chrono::milliseconds timeout) {
  const GLuint texture = slots_[slot].gl.texture();
  bool any_cpu = false;
  for (channel::ProducerLink* link : links) {
    if (link->mode() == SyncMode::Gpu) {
      GEYSER_TRY_VOID(as_gl_link(link).ready().signal(frame, texture, GlLayout::General));
    } else {
      any_cpu = true;
    }
  }
  if (!any_cpu) return {};
  GEYSER_TRY_VOID(opengl::finish(timeout));
  for (channel::ProducerLink* link : links) {
    if (link->mode() == SyncMode::Cpu) (void)as_gl_link(link).sync().signal_texture_ready(frame);
  }
  return {};
}

// GL may still have signals of the links' semaphores queued: they go once a fence after
// them has passed.
void GlSenderBackend::retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) {
  if (links.empty()) return;
  auto fence = GlFence::insert();
  if (!fence) {
    glFinish();  // no fence to wait on later: the links can go now
    return;
  }
  retired_.emplace_back(std::move(*fence), std::move(links));
}

void GlSenderBackend::collect() {
  std::erase_if(retired_, [](const auto& entry) { return entry.first.signalled(); });
}

Result<void> GlSenderBackend::set_host_slots(std::span<const channel::HostSlotMemory> slots) {
  return host_.set(slots);
}

// The twin copies the slot once GL has finished writing it (waited for on the CPU, as for
// cpu receivers: GL and the twin share no queue).
Result<void> GlSenderBackend::copy_to_host(std::size_t slot, std::chrono::milliseconds timeout) {
  GEYSER_TRY_VOID(opengl::finish(timeout));
  return host_.copy(*slots_[slot].vk, slot, timeout);
}

Result<void> GlSenderBackend::write(std::size_t slot, std::span<const std::uint8_t> bytes) {
  return write_pixels(slots_[slot].gl, bytes);
}

const GlTexture* GlSenderBackend::texture(std::size_t slot) const noexcept {
  return slot < slots_.size() ? &slots_[slot].gl : nullptr;
}

}  // namespace geyser::opengl::detail
