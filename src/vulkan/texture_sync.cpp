// TextureSync: timeline semaphores (Gpu mode) or CPU timelines after fences (Cpu mode),
// behind one access protocol.
#include "geyser/vulkan/texture_sync.hpp"

#include <string>

namespace geyser::vulkan {
namespace {

std::uint64_t to_ns(std::chrono::nanoseconds timeout) {
  return timeout.count() < 0 ? 0 : static_cast<std::uint64_t>(timeout.count());
}

VkSemaphoreSubmitInfo semaphore_info(VkSemaphore semaphore, std::uint64_t value,
                                     VkPipelineStageFlags2 stages) {
  VkSemaphoreSubmitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  info.semaphore = semaphore;
  info.value = value;
  info.stageMask = stages;
  return info;
}

}  // namespace

Result<TextureSync> TextureSync::create_producer(VulkanTextureShareManager& manager,
                                                 VulkanSharedTexture& texture, SyncMode mode) {
  TextureSync sync(texture, mode, SyncRole::Producer);
  if (mode == SyncMode::Gpu) {
    GEYSER_TRY(sync.ready_semaphore_, manager.create_vk_semaphore(SemaphoreType::Timeline));
    GEYSER_TRY(sync.released_semaphore_, manager.create_vk_semaphore(SemaphoreType::Timeline));
  } else {
    GEYSER_TRY(sync.ready_timeline_, CpuTimeline::create());
    GEYSER_TRY(sync.released_timeline_, CpuTimeline::create());
  }
  return sync;
}

Result<TextureSync> TextureSync::create_consumer(VulkanTextureShareManager& manager,
                                                 VulkanSharedTexture& texture,
                                                 const SyncShareHandles& handles) {
  TextureSync sync(texture, handles.mode, SyncRole::Consumer);
  if (handles.mode == SyncMode::Gpu) {
    SemaphoreShareHandle ready;
    GEYSER_TRY(ready.os_handle, handles.ready.duplicate());
    ready.type = SemaphoreType::Timeline;
    ready.identity = handles.identity;
    SemaphoreShareHandle released;
    GEYSER_TRY(released.os_handle, handles.released.duplicate());
    released.type = SemaphoreType::Timeline;
    released.identity = handles.identity;
    GEYSER_TRY(sync.ready_semaphore_, manager.import_vk_semaphore(ready));
    GEYSER_TRY(sync.released_semaphore_, manager.import_vk_semaphore(released));
  } else {
    GEYSER_TRY(UniqueHandle ready, handles.ready.duplicate());
    GEYSER_TRY(UniqueHandle released, handles.released.duplicate());
    GEYSER_TRY(sync.ready_timeline_, CpuTimeline::open(std::move(ready)));
    GEYSER_TRY(sync.released_timeline_, CpuTimeline::open(std::move(released)));
  }
  return sync;
}

Result<SyncShareHandles> TextureSync::export_handles() const {
  if (role_ != SyncRole::Producer) {
    return fail(ErrorCode::Validation, "TextureSync::export_handles: only the producer exports");
  }
  SyncShareHandles handles;
  handles.mode = mode_;
  handles.identity = texture_->device().identity();
  if (mode_ == SyncMode::Gpu) {
    const Device& device = texture_->device();
    VulkanTextureShareManager manager(device);
    GEYSER_TRY(auto ready, manager.export_semaphore(*ready_semaphore_));
    GEYSER_TRY(auto released, manager.export_semaphore(*released_semaphore_));
    handles.ready = std::move(ready.os_handle);
    handles.released = std::move(released.os_handle);
  } else {
    GEYSER_TRY(handles.ready, ready_timeline_->export_handle());
    GEYSER_TRY(handles.released, released_timeline_->export_handle());
  }
  return handles;
}

const VulkanSharedSemaphore* TextureSync::incoming_semaphore() const {
  return role_ == SyncRole::Producer ? released_semaphore_.get() : ready_semaphore_.get();
}
const VulkanSharedSemaphore* TextureSync::outgoing_semaphore() const {
  return role_ == SyncRole::Producer ? ready_semaphore_.get() : released_semaphore_.get();
}
const CpuTimeline* TextureSync::incoming_timeline() const {
  return role_ == SyncRole::Producer ? &*released_timeline_ : &*ready_timeline_;
}
CpuTimeline* TextureSync::outgoing_timeline() {
  return role_ == SyncRole::Producer ? &*ready_timeline_ : &*released_timeline_;
}

AccessScope TextureSync::begin_access(std::uint64_t wait_value, const AccessDesc& desc) const {
  AccessScope scope;
  scope.barrier = acquire_barrier(*texture_, desc.layout, desc.stages, desc.access);
  if (mode_ == SyncMode::Gpu && wait_value > 0) {
    scope.semaphore = semaphore_info(incoming_semaphore()->semaphore(), wait_value, desc.stages);
  }
  return scope;
}

AccessScope TextureSync::end_access(std::uint64_t signal_value, const AccessDesc& desc) {
  AccessScope scope;
  scope.barrier = release_barrier(*texture_, desc.layout, desc.stages, desc.access);
  if (mode_ == SyncMode::Gpu) {
    // The signal covers the release barrier: ALL_COMMANDS, so the peer's acquire sees it.
    scope.semaphore = semaphore_info(outgoing_semaphore()->semaphore(), signal_value,
                                     VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
  }
  texture_->mark_released();
  return scope;
}

Result<void> TextureSync::wait_for_texture(std::uint64_t value,
                                           std::chrono::nanoseconds timeout) const {
  if (value == 0) return {};
  if (mode_ == SyncMode::Gpu) return incoming_semaphore()->wait(value, to_ns(timeout));
  return incoming_timeline()->wait(value, timeout);
}

Result<void> TextureSync::signal_texture_ready(std::uint64_t value) {
  if (mode_ == SyncMode::Cpu) outgoing_timeline()->signal(value);
  return {};
}

std::optional<VkSemaphoreSubmitInfo> TextureSync::incoming_wait(
    std::uint64_t value, VkPipelineStageFlags2 stages) const {
  if (mode_ != SyncMode::Gpu) return std::nullopt;
  return semaphore_info(incoming_semaphore()->semaphore(), value, stages);
}

std::optional<VkSemaphoreSubmitInfo> TextureSync::outgoing_signal(std::uint64_t value) const {
  if (mode_ != SyncMode::Gpu) return std::nullopt;
  return semaphore_info(outgoing_semaphore()->semaphore(), value,
                        VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
}

Result<void> TextureSync::signal_on_host(std::uint64_t value) {
  if (mode_ == SyncMode::Gpu) return outgoing_semaphore()->signal(value);
  outgoing_timeline()->signal(value);
  return {};
}

Result<std::uint64_t> TextureSync::peer_value() const {
  if (mode_ == SyncMode::Gpu) return incoming_semaphore()->value();
  return incoming_timeline()->value();
}

SubmitSemaphores TextureSync::submit_semaphores(std::uint64_t wait_value,
                                                std::uint64_t signal_value) const {
  SubmitSemaphores out;
  if (mode_ != SyncMode::Gpu) return out;
  if (wait_value > 0) {
    out.waits.push_back(semaphore_info(incoming_semaphore()->semaphore(), wait_value,
                                       VK_PIPELINE_STAGE_2_COPY_BIT));
  }
  out.signals.push_back(semaphore_info(outgoing_semaphore()->semaphore(), signal_value,
                                       VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT));
  return out;
}

Result<void> TextureSync::write(std::span<const std::uint8_t> bytes, std::uint64_t frame,
                                std::uint64_t reuse_after, std::chrono::nanoseconds timeout) {
  if (role_ != SyncRole::Producer) {
    return fail(ErrorCode::Validation, "TextureSync::write: only the producer writes");
  }
  // Wait on the CPU first, with a timeout: a GPU wait for a consumer that died would
  // stall the queue for good.
  GEYSER_TRY_VOID(wait_for_texture(reuse_after, timeout));
  const SubmitSemaphores semaphores = submit_semaphores(reuse_after, frame);
  GEYSER_TRY_VOID(upload(*texture_, bytes, semaphores.waits, semaphores.signals));
  // upload waited for its fence: in Cpu mode the frame is complete and may be announced.
  return signal_texture_ready(frame);
}

Result<std::vector<std::uint8_t>> TextureSync::read(std::uint64_t frame,
                                                    std::chrono::nanoseconds timeout) {
  if (role_ != SyncRole::Consumer) {
    return fail(ErrorCode::Validation, "TextureSync::read: only the consumer reads");
  }
  GEYSER_TRY_VOID(wait_for_texture(frame, timeout));
  const SubmitSemaphores semaphores = submit_semaphores(frame, frame);
  GEYSER_TRY(auto bytes, readback(*texture_, semaphores.waits, semaphores.signals));
  GEYSER_TRY_VOID(signal_texture_ready(frame));
  return bytes;
}

}  // namespace geyser::vulkan
