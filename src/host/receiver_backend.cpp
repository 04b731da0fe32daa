#include "receiver_backend.hpp"

#include <string>

#include "geyser/host/slot_memory.hpp"

namespace geyser::host {

Result<ipc::SharedMemory> map_slot(channel::SlotImport& slot) {
  const TextureShareHandle& memory = slot.memory;
  if (memory.handle_type != MemoryHandleType::HostMemfd) {
    return fail(ErrorCode::Unsupported, std::string("a host receiver takes host frames, not ") +
                                            std::string(to_string(memory.handle_type)) + " memory");
  }
  const TextureDescriptor& d = memory.descriptor;
  const std::uint64_t rows = std::uint64_t{memory.row_pitch} * d.height;
  if (memory.row_pitch < std::uint64_t{d.width} * format_info(d.format).texel_size ||
      memory.image.allocation_size < rows) {
    return fail(ErrorCode::Validation, "host slot of " +
                                           std::to_string(memory.image.allocation_size) +
                                           " bytes cannot hold " + describe(d) + " with rows of " +
                                           std::to_string(memory.row_pitch));
  }
  // Exactly the announced size, sealed against resizing (a sender that shrank it would
  // make our reads fault) and against writable mappings (no other receiver can write it).
  auto mapped =
      ipc::SharedMemory::open(std::move(slot.memory.os_handle), memory.image.allocation_size,
                              ipc::SharedAccess::CreatorWrites);
  if (!mapped) {
    return fail(mapped.error().code(), "host slot: " + mapped.error().message());
  }
  return mapped;
}

namespace detail {

Result<std::shared_ptr<channel::ImportedSlot>> HostReceiverBackend::import_slot(
    channel::SlotImport slot) {
  if (slot.mode != SyncMode::Cpu) {
    return fail(ErrorCode::Unsupported, "host frames are synchronized in cpu mode");
  }
  GEYSER_TRY(ipc::SharedMemory memory, map_slot(slot));
  GEYSER_TRY(CpuTimeline ready, CpuTimeline::open(std::move(slot.sync.ready)));
  GEYSER_TRY(CpuTimeline released, CpuTimeline::open(std::move(slot.sync.released)));
  return std::shared_ptr<channel::ImportedSlot>(
      std::make_shared<HostSlot>(std::move(memory), slot.memory.descriptor, slot.memory.row_pitch,
                                 std::move(ready), std::move(released)));
}

Result<void> HostReceiverBackend::begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                             std::chrono::milliseconds timeout,
                                             channel::ReadSubmission) {
  return static_cast<HostSlot&>(slot).ready.wait(frame, timeout);
}

// The application read the mapping on the CPU before calling release(): done with it.
Result<void> HostReceiverBackend::end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                           std::chrono::milliseconds, channel::ReadSubmission) {
  static_cast<HostSlot&>(slot).released.signal(frame);
  return {};
}

Result<void> HostReceiverBackend::skip(channel::ImportedSlot& slot, std::uint64_t frame) {
  static_cast<HostSlot&>(slot).released.signal(frame);
  return {};
}

Result<void> HostReceiverBackend::wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                               std::chrono::milliseconds timeout) {
  return static_cast<HostSlot&>(slot).ready.wait(frame, timeout);
}

}  // namespace detail
}  // namespace geyser::host
