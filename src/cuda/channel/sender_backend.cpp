// The CUDA producer backend of the channel core.
#include "sender_backend.hpp"

#include <optional>
#include <string>

#include "geyser/cuda/copy.hpp"
#include "geyser/cuda/semaphore.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "geyser/vulkan/twin_link.hpp"

namespace geyser::cuda::detail {
namespace {

using CudaProducerLink = vulkan::TwinProducerLink<TimelineSemaphore>;

CudaProducerLink& as_cuda_link(channel::ProducerLink* link) noexcept {
  return *static_cast<CudaProducerLink*>(link);
}

// The Vulkan device of the CUDA device's GPU (the same deviceUUID).
Result<std::unique_ptr<vulkan::Device>> vulkan_twin(const Context& context) {
  vulkan::HeadlessOptions options;
  options.device_uuid = context.info().uuid;
  options.application_name = "geyser cuda sender";
  auto device = vulkan::Device::create_headless(options);
  if (!device) {
    return fail(ErrorCode::Unsupported, "cuda::Sender: no Vulkan device is " + context.info().name +
                                            " (UUID " + to_string(context.info().uuid) +
                                            "): " + device.error().to_string());
  }
  return std::make_unique<vulkan::Device>(std::move(device).value());
}

}  // namespace

Result<std::unique_ptr<CudaSenderBackend>> CudaSenderBackend::create(const Context& context) {
  GEYSER_TRY(Stream stream, Stream::create(context));
  GEYSER_TRY(auto device, vulkan_twin(context));
  return std::unique_ptr<CudaSenderBackend>(
      new CudaSenderBackend(context, std::move(stream), std::move(device)));
}

CudaSenderBackend::~CudaSenderBackend() {
  // Nothing queued may still name the arrays or the semaphores when they go.
  (void)stream_.synchronize();
  retired_.clear();
  slots_.clear();
}

const DeviceIdentity& CudaSenderBackend::identity() const noexcept {
  return device_->identity();
}

// The twin exports and imports timelines; CUDA imports and signals them (the driver has
// CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD wherever it has a Vulkan twin).
SyncCapabilities CudaSenderBackend::sync_capabilities() const {
  return manager_.sync_capabilities();
}

Result<void> CudaSenderBackend::create_slots(const TextureDescriptor& desc, std::size_t count) {
  std::vector<Slot> fresh(count);
  for (Slot& slot : fresh) {
    GEYSER_TRY(slot.vk, manager_.create(desc));
    GEYSER_TRY(slot.handle, manager_.export_texture(*slot.vk));
    GEYSER_TRY(ImportedArray imported, ImportedArray::import(*context_, slot.handle));
    slot.cuda = std::make_unique<ImportedArray>(std::move(imported));
  }
  // The stream must be done with the old ring and with every retired link.
  GEYSER_TRY_VOID(stream_.synchronize());
  retired_.clear();
  slots_ = std::move(fresh);
  return {};
}

const TextureShareHandle& CudaSenderBackend::slot_export(std::size_t slot) const {
  return slots_[slot].handle;
}

Result<std::unique_ptr<channel::ProducerLink>> CudaSenderBackend::create_link(std::size_t slot,
                                                                              SyncMode mode) {
  GEYSER_TRY(vulkan::TextureSync sync,
             vulkan::TextureSync::create_producer(manager_, *slots_[slot].vk, mode));
  std::optional<TimelineSemaphore> ready;
  if (mode == SyncMode::Gpu) {
    GEYSER_TRY(vulkan::SyncShareHandles handles, sync.export_handles());
    GEYSER_TRY(ready, TimelineSemaphore::import(*context_, std::move(handles.ready)));
  }
  return std::unique_ptr<channel::ProducerLink>(
      new CudaProducerLink(std::move(sync), std::move(ready)));
}

Result<void> CudaSenderBackend::present(std::size_t /*slot*/, std::uint64_t frame,
                                        std::span<channel::ProducerLink* const> links,
                                        std::chrono::milliseconds timeout) {
  bool any_cpu = false;
  for (channel::ProducerLink* link : links) {
    if (link->mode() == SyncMode::Gpu) {
      GEYSER_TRY_VOID(as_cuda_link(link).ready().signal(frame, stream_.get()));
    } else {
      any_cpu = true;
    }
  }
  if (!any_cpu) return {};
  GEYSER_TRY_VOID(stream_.wait(timeout));
  for (channel::ProducerLink* link : links) {
    if (link->mode() == SyncMode::Cpu) (void)as_cuda_link(link).sync().signal_texture_ready(frame);
  }
  return {};
}

void CudaSenderBackend::retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) {
  for (auto& link : links) retired_.push_back(std::move(link));
}

// A stream that has run everything queued has run every signal of the retired links.
void CudaSenderBackend::collect() {
  if (!retired_.empty() && stream_.wait(std::chrono::nanoseconds(0))) retired_.clear();
}

Result<void> CudaSenderBackend::set_host_slots(std::span<const channel::HostSlotMemory> slots) {
  return host_.set(slots);
}

// The twin copies the slot once the stream has run the kernels that wrote it (waited for
// on the CPU, as for cpu receivers: CUDA and the twin share no queue).
Result<void> CudaSenderBackend::copy_to_host(std::size_t slot, std::chrono::milliseconds timeout) {
  GEYSER_TRY_VOID(stream_.wait(timeout));
  return host_.copy(*slots_[slot].vk, slot, timeout);
}

Result<void> CudaSenderBackend::write(std::size_t slot, std::span<const std::uint8_t> bytes) {
  return upload(*context_, *slots_[slot].cuda, bytes, stream_);
}

const ImportedArray* CudaSenderBackend::texture(std::size_t slot) const noexcept {
  return slot < slots_.size() ? slots_[slot].cuda.get() : nullptr;
}

}  // namespace geyser::cuda::detail
