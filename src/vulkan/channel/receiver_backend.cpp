// The Vulkan consumer backend of the channel core.
#include "receiver_backend.hpp"

#include "../fence_wait.hpp"
#include "geyser/host/slot_memory.hpp"
#include "queue_ops.hpp"

namespace geyser::vulkan::detail {

namespace {

// Host frames: the frame is in the mapped host slot; one upload puts it into our texture
// (waited for, so reads submitted from now on see it).
Result<void> upload_host_frame(const Device& device, VulkanImportedSlot& imported) {
  const auto bytes = imported.host->bytes();
  const std::size_t size = std::size_t{imported.row_pitch} * imported.texture->descriptor().height;
  if (!imported.staging) {
    auto staging = std::make_unique<StagingBuffer>(device);
    GEYSER_TRY_VOID(staging->init(device, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT));
    imported.staging = std::move(staging);
  }
  auto uploaded = upload_rows_through(
      *imported.texture, *imported.staging,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), size),
      imported.row_pitch);
  // A copy still pending after a timeout may read the buffer: drop it (a leaked buffer's
  // destructor frees no Vulkan object), and let the next upload make another.
  if (!uploaded && imported.staging->leaked()) imported.staging.reset();
  return uploaded;
}

}  // namespace

const DeviceIdentity& VulkanReceiverBackend::identity() const noexcept {
  return device_->identity();
}

std::string VulkanReceiverBackend::device_name() const {
  return device_->name();
}

SyncCapabilities VulkanReceiverBackend::sync_capabilities() const {
  return manager_.sync_capabilities();
}

Result<std::shared_ptr<channel::ImportedSlot>> VulkanReceiverBackend::import_host_slot(
    channel::SlotImport slot) {
  if (slot.mode != SyncMode::Cpu) {
    return fail(ErrorCode::Protocol, "host frames in gpu sync mode");
  }
  auto imported = std::make_shared<VulkanImportedSlot>();
  GEYSER_TRY(imported->host, host::map_slot(slot));
  imported->row_pitch = slot.memory.row_pitch;
  TextureDescriptor local = slot.memory.descriptor;
  local.usage |= TextureUsage::TransferDst;  // uploaded into
  GEYSER_TRY(imported->texture, manager_.create(local));
  SyncShareHandles handles;
  handles.mode = SyncMode::Cpu;
  handles.ready = std::move(slot.sync.ready);
  handles.released = std::move(slot.sync.released);
  handles.identity = device_->identity();
  GEYSER_TRY(auto sync, TextureSync::create_consumer(manager_, *imported->texture, handles));
  imported->sync.emplace(std::move(sync));
  return std::shared_ptr<channel::ImportedSlot>(std::move(imported));
}

Result<std::shared_ptr<channel::ImportedSlot>> VulkanReceiverBackend::import_slot(
    channel::SlotImport slot) {
  if (slot.memory.handle_type == MemoryHandleType::HostMemfd) {
    return import_host_slot(std::move(slot));
  }
  auto imported = std::make_shared<VulkanImportedSlot>();
  GEYSER_TRY(imported->texture, manager_.import(slot.memory));
  SyncShareHandles handles;
  handles.mode = slot.mode;
  handles.ready = std::move(slot.sync.ready);
  handles.released = std::move(slot.sync.released);
  handles.identity = slot.memory.identity;
  GEYSER_TRY(auto sync, TextureSync::create_consumer(manager_, *imported->texture, handles));
  imported->sync.emplace(std::move(sync));
  return std::shared_ptr<channel::ImportedSlot>(std::move(imported));
}

Result<void> VulkanReceiverBackend::signal_released(TextureSync& sync, std::uint64_t frame) {
  const VkSemaphoreSubmitInfo signal = *sync.outgoing_signal(frame);
  return submit_semaphores(*device_, {}, {&signal, 1});
}

Result<void> VulkanReceiverBackend::begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                               std::chrono::milliseconds timeout,
                                               channel::ReadSubmission submission) {
  TextureSync& sync = *as_vulkan_slot(slot).sync;
  if (sync.mode() == SyncMode::Gpu) {
    // The application's first submission that reads the frame waits (begin_access).
    if (submission != channel::ReadSubmission::Backend) return {};
    // Submitted only once the sender has submitted its signal (it announced the frame
    // after): never a wait for a value nobody will signal. Later submissions on the queue
    // are ordered after it.
    const VkSemaphoreSubmitInfo wait =
        *sync.incoming_wait(frame, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    return submit_semaphores(*device_, {&wait, 1}, {});
  }
  // The sender drained its queue before announcing: this returns at once.
  GEYSER_TRY_VOID(sync.wait_for_texture(frame, timeout));
  VulkanImportedSlot& imported = as_vulkan_slot(slot);
  if (!imported.host) return {};
  return upload_host_frame(*device_, imported);
}

Result<void> VulkanReceiverBackend::end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                             std::chrono::milliseconds timeout,
                                             channel::ReadSubmission submission) {
  TextureSync& sync = *as_vulkan_slot(slot).sync;
  if (sync.mode() == SyncMode::Gpu) {
    // The application's last submission that read the frame signalled (end_access), or
    // nothing read it (the page says so and the timeline stays where it is).
    if (submission != channel::ReadSubmission::Backend) return {};
    return signal_released(sync, frame);
  }
  // A frame nothing read on the device needs no drain first.
  if (submission != channel::ReadSubmission::Unread) {
    GEYSER_TRY_VOID(drain_queue(*device_, timeout));
  }
  return sync.signal_texture_ready(frame);
}

Result<void> VulkanReceiverBackend::skip(channel::ImportedSlot& slot, std::uint64_t frame) {
  TextureSync& sync = *as_vulkan_slot(slot).sync;
  // Gpu mode: a semaphore-only submit rather than vkSignalSemaphore: it is ordered after
  // our earlier release signals on the same queue, so the timeline only ever rises (and the
  // 1.3.239 validation layer reports host signals of shared semaphores falsely).
  if (sync.mode() == SyncMode::Gpu) return signal_released(sync, frame);
  return sync.signal_texture_ready(frame);
}

Result<void> VulkanReceiverBackend::wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                                 std::chrono::milliseconds timeout) {
  return as_vulkan_slot(slot).sync->wait_for_texture(frame, timeout);
}

Result<void> VulkanReceiverBackend::finish(std::chrono::milliseconds timeout) {
  return drain_queue(*device_, timeout);
}

void VulkanReceiverBackend::wait_idle() noexcept {
  (void)wait_queue_idle(device_->device(), device_->queue());
}

}  // namespace geyser::vulkan::detail
