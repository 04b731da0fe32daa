// The CUDA consumer backend of the channel core.
#include "receiver_backend.hpp"

#include <string>
#include <utility>

namespace geyser::cuda::detail {

Result<std::unique_ptr<CudaReceiverBackend>> CudaReceiverBackend::create(
    const Context& context, const DeviceIdentity& identity) {
  GEYSER_TRY(Stream stream, Stream::create(context));
  return std::unique_ptr<CudaReceiverBackend>(
      new CudaReceiverBackend(context, identity, std::move(stream)));
}

std::string CudaReceiverBackend::device_name() const {
  return "CUDA device " + std::to_string(context_->info().ordinal) + " (" + context_->info().name +
         ")";
}

SyncCapabilities CudaReceiverBackend::sync_capabilities() const {
  // CUDA imports exported timeline semaphores (and need not export any: the sender makes
  // both timelines of a slot).
  SyncCapabilities caps;
  caps.timeline_import = true;
  return caps;
}

Result<void> CudaReceiverBackend::import_sync(CudaImportedSlot& slot,
                                              channel::SlotSyncHandles handles) const {
  if (slot.mode == SyncMode::Gpu) {
    GEYSER_TRY(auto ready, TimelineSemaphore::import(*context_, std::move(handles.ready)));
    slot.ready_semaphore.emplace(std::move(ready));
    GEYSER_TRY(auto released, TimelineSemaphore::import(*context_, std::move(handles.released)));
    slot.released_semaphore.emplace(std::move(released));
    return {};
  }
  GEYSER_TRY(auto ready, CpuTimeline::open(std::move(handles.ready)));
  slot.ready_timeline.emplace(std::move(ready));
  GEYSER_TRY(auto released, CpuTimeline::open(std::move(handles.released)));
  slot.released_timeline.emplace(std::move(released));
  return {};
}

Result<std::shared_ptr<channel::ImportedSlot>> CudaReceiverBackend::import_slot(
    channel::SlotImport slot) {
  auto imported = std::make_shared<CudaImportedSlot>();
  imported->mode = slot.mode;
  // The memory first: its import checks the identity (rule 1) before any handle is used.
  // The core hands every slot with the sender's identity.
  if (slot.memory.image.tiling == kVkTilingLinear) {
    // A linear stream: the rows at the pitch the sender laid them out with (the wire has
    // checked that they fit the allocation), as one mapped buffer.
    GEYSER_TRY(auto buffer, ImportedBuffer::import(*context_, slot.memory, slot.memory.row_pitch));
    imported->buffer.emplace(std::move(buffer));
  } else {
    GEYSER_TRY(auto texture, ImportedArray::import(*context_, slot.memory));
    imported->texture.emplace(std::move(texture));
  }
  GEYSER_TRY_VOID(import_sync(*imported, std::move(slot.sync)));
  return std::shared_ptr<channel::ImportedSlot>(std::move(imported));
}

Result<void> CudaReceiverBackend::begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                             std::chrono::milliseconds timeout,
                                             channel::ReadSubmission /*submission*/) {
  CudaImportedSlot& s = as_cuda_slot(slot);
  // Gpu: queued only once the sender has submitted its signal (it announced the frame
  // after), so the stream never waits for a value nobody will signal. The work the
  // application queues on the stream later runs after it.
  if (s.mode == SyncMode::Gpu) return s.ready_semaphore->wait(frame, stream_.get());
  // The sender waited for its writes before announcing: this returns at once.
  return s.ready_timeline->wait(frame, timeout);
}

Result<void> CudaReceiverBackend::end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                           std::chrono::milliseconds timeout,
                                           channel::ReadSubmission submission) {
  CudaImportedSlot& s = as_cuda_slot(slot);
  if (s.mode == SyncMode::Gpu) {
    // Unread: nothing was queued after the wait, and the page tells the sender so; the
    // timeline stays where it is.
    if (submission == channel::ReadSubmission::Unread) return {};
    return s.released_semaphore->signal(frame, stream_.get());
  }
  // The application's reads were queued on the stream: they must be done before the
  // sender may write the slot again.
  if (submission != channel::ReadSubmission::Unread) GEYSER_TRY_VOID(stream_.wait(timeout));
  s.released_timeline->signal(frame);
  return {};
}

Result<void> CudaReceiverBackend::skip(channel::ImportedSlot& slot, std::uint64_t frame) {
  CudaImportedSlot& s = as_cuda_slot(slot);
  // Gpu: a signal queued on the stream rather than one from the host, so that it comes
  // after our earlier release signals and the timeline only rises.
  if (s.mode == SyncMode::Gpu) return s.released_semaphore->signal(frame, stream_.get());
  s.released_timeline->signal(frame);
  return {};
}

Result<void> CudaReceiverBackend::wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                               std::chrono::milliseconds timeout) {
  CudaImportedSlot& s = as_cuda_slot(slot);
  if (s.mode == SyncMode::Cpu) return s.ready_timeline->wait(frame, timeout);
  // CUDA waits for an imported semaphore only on a stream, without a bound: a stream
  // waiting for the signal of a sender that died might never run again. So the last
  // frame of a sender that went away is not kept in gpu mode (the core drops it).
  return fail(ErrorCode::Unsupported,
              "cuda receiver: CUDA cannot wait for an imported timeline semaphore on the CPU "
              "with a bound, so frame " +
                  std::to_string(frame) + " of the sender that went away is not kept");
}

Result<void> CudaReceiverBackend::finish(std::chrono::milliseconds timeout) {
  return stream_.wait(timeout);
}

void CudaReceiverBackend::wait_idle() noexcept {
  (void)stream_.synchronize();
}

}  // namespace geyser::cuda::detail
