// The Vulkan producer backend of the channel core.
#include "sender_backend.hpp"

#include <string>

#include "../fence_wait.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "queue_ops.hpp"

namespace geyser::vulkan::detail {
namespace {

// One slot's TextureSync with one receiver.
class VulkanProducerLink final : public channel::ProducerLink {
 public:
  explicit VulkanProducerLink(TextureSync sync) : sync_(std::move(sync)) {}
  SyncMode mode() const noexcept override { return sync_.mode(); }
  Result<channel::SlotSyncHandles> export_handles() const override {
    GEYSER_TRY(SyncShareHandles handles, sync_.export_handles());
    return channel::SlotSyncHandles{std::move(handles.ready), std::move(handles.released)};
  }
  Result<std::uint64_t> released_value() const override { return sync_.peer_value(); }
  TextureSync& sync() noexcept { return sync_; }

 private:
  TextureSync sync_;
};

}  // namespace

Result<std::unique_ptr<VulkanSenderBackend>> VulkanSenderBackend::create(const Device& device,
                                                                         Tiling tiling) {
  std::unique_ptr<VulkanSenderBackend> backend(new VulkanSenderBackend(device, tiling));
  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
  if (VkResult r = vkCreateSemaphore(device.device(), &info, nullptr, &backend->progress_);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateSemaphore(progress timeline)"));
  }
  return backend;
}

VulkanSenderBackend::~VulkanSenderBackend() {
  // Nothing may still use the textures or semaphores when they are destroyed.
  (void)wait_queue_idle(device_->device(), device_->queue());
  retired_.clear();
  slots_.clear();
  if (progress_ != VK_NULL_HANDLE) vkDestroySemaphore(device_->device(), progress_, nullptr);
}

const DeviceIdentity& VulkanSenderBackend::identity() const noexcept {
  return device_->identity();
}

std::string VulkanSenderBackend::device_name() const {
  return device_->name();
}

SyncCapabilities VulkanSenderBackend::sync_capabilities() const {
  return manager_.sync_capabilities();
}

Result<void> VulkanSenderBackend::create_slots(const TextureDescriptor& desc, std::size_t count) {
  // The device must be done with the old ring and with every retired link.
  if (VkResult r = wait_queue_idle(device_->device(), device_->queue()); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkQueueWaitIdle, then vkDeviceWaitIdle"));
  }
  retired_.clear();
  std::vector<Slot> fresh(count);
  for (Slot& slot : fresh) {
    GEYSER_TRY(slot.texture, manager_.create(desc, tiling_));
    GEYSER_TRY(slot.handle, manager_.export_texture(*slot.texture));
  }
  slots_ = std::move(fresh);
  return {};
}

const TextureShareHandle& VulkanSenderBackend::slot_export(std::size_t slot) const {
  return slots_[slot].handle;
}

Result<std::unique_ptr<channel::ProducerLink>> VulkanSenderBackend::create_link(std::size_t slot,
                                                                                SyncMode mode) {
  GEYSER_TRY(TextureSync sync, TextureSync::create_producer(manager_, *slots_[slot].texture, mode));
  return std::unique_ptr<channel::ProducerLink>(new VulkanProducerLink(std::move(sync)));
}

VkSemaphoreSubmitInfo VulkanSenderBackend::next_progress_signal() {
  VkSemaphoreSubmitInfo progress{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  progress.semaphore = progress_;
  progress.value = ++progress_value_;
  progress.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  return progress;
}

Result<void> VulkanSenderBackend::present(std::size_t /*slot*/, std::uint64_t frame,
                                          std::span<channel::ProducerLink* const> links,
                                          std::chrono::milliseconds timeout) {
  // Gpu receivers: a signal submitted after the application's writes (none for those whose
  // signal the application carried: they are not in `links`). Cpu receivers: the writes
  // must be finished before the frame is announced.
  forget_handed_over();
  std::vector<VkSemaphoreSubmitInfo> signals;
  bool any_cpu = false;
  for (channel::ProducerLink* link : links) {
    auto& sync = static_cast<VulkanProducerLink*>(link)->sync();
    if (sync.mode() == SyncMode::Gpu) {
      signals.push_back(*sync.outgoing_signal(frame));
    } else {
      any_cpu = true;
    }
  }
  if (!signals.empty()) {
    signals.push_back(next_progress_signal());
    if (auto submitted = submit_semaphores(*device_, {}, signals); !submitted) {
      --progress_value_;  // not submitted: the value is free again
      return submitted;
    }
  }
  if (!any_cpu) return {};
  GEYSER_TRY_VOID(drain_queue(*device_, timeout));
  for (channel::ProducerLink* link : links) {
    auto& sync = static_cast<VulkanProducerLink*>(link)->sync();
    if (sync.mode() == SyncMode::Cpu) (void)sync.signal_texture_ready(frame);
  }
  return {};
}

std::span<const VkSemaphoreSubmitInfo> VulkanSenderBackend::hand_over(
    std::uint64_t frame, std::span<channel::ProducerLink* const> links) {
  if (auto same = handed_over(frame)) return *same;
  handed_.clear();
  for (channel::ProducerLink* link : links) {
    auto& sync = static_cast<VulkanProducerLink*>(link)->sync();
    if (sync.mode() == SyncMode::Gpu) handed_.push_back(*sync.outgoing_signal(frame));
  }
  // Counted as submitted from now on: a link retired before the application submits is
  // kept until this value is reached (or the queue is idle).
  handed_.push_back(next_progress_signal());
  handed_frame_ = frame;
  return handed_;
}

std::optional<std::span<const VkSemaphoreSubmitInfo>> VulkanSenderBackend::handed_over(
    std::uint64_t frame) const noexcept {
  if (frame == 0 || frame != handed_frame_) return std::nullopt;
  return std::span<const VkSemaphoreSubmitInfo>(handed_);
}

// The links' semaphores may still be named by present()'s pending signal submissions, so
// they are destroyed once `progress_` shows those have executed
// (VUID-vkDestroySemaphore-semaphore-01137).
void VulkanSenderBackend::retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) {
  if (!links.empty()) retired_.emplace_back(progress_value_, std::move(links));
}

void VulkanSenderBackend::collect() {
  if (retired_.empty()) return;
  std::uint64_t done = 0;
  if (vkGetSemaphoreCounterValue(device_->device(), progress_, &done) != VK_SUCCESS) return;
  std::erase_if(retired_, [done](const auto& entry) { return entry.first <= done; });
}

Result<void> VulkanSenderBackend::write(std::size_t slot, std::span<const std::uint8_t> bytes) {
  return upload(*slots_[slot].texture, bytes);
}

Result<void> VulkanSenderBackend::set_host_slots(std::span<const channel::HostSlotMemory> slots) {
  return host_.set(slots);
}

// Submitted after present()'s signals, so after the application's writes; the copy is
// waited for, so the slot is free for the next frame's writes as far as it is concerned.
Result<void> VulkanSenderBackend::copy_to_host(std::size_t slot,
                                               std::chrono::milliseconds timeout) {
  return host_.copy(*slots_[slot].texture, slot, timeout);
}

VulkanSharedTexture* VulkanSenderBackend::texture(std::size_t slot) const noexcept {
  return slot < slots_.size() ? slots_[slot].texture.get() : nullptr;
}

}  // namespace geyser::vulkan::detail
