#include "host_ring.hpp"

#include <string>

#include "geyser/transfer.hpp"

namespace geyser::channel::detail {

Result<std::unique_ptr<HostLink>> HostLink::create() {
  GEYSER_TRY(CpuTimeline ready, CpuTimeline::create());
  GEYSER_TRY(CpuTimeline released, CpuTimeline::create());
  return std::unique_ptr<HostLink>(new HostLink(std::move(ready), std::move(released)));
}

Result<SlotSyncHandles> HostLink::export_handles() const {
  SlotSyncHandles handles;
  GEYSER_TRY(handles.ready, ready_.export_handle());
  GEYSER_TRY(handles.released, released_.export_handle());
  return handles;
}

Result<std::uint64_t> HostLink::released_value() const {
  return released_.value();
}

Result<HostRing> HostRing::create(const TextureDescriptor& desc, std::size_t count) {
  const FormatInfo& format = format_info(desc.format);
  if (format.kind != FormatKind::Color || kHostRowAlignment % format.texel_size != 0 ||
      desc.mip_levels != 1 || desc.array_layers != 1) {
    return fail(ErrorCode::Unsupported,
                "host frames carry colour formats with one mip level and "
                "one layer, not " +
                    describe(desc) + " with " + std::to_string(desc.mip_levels) + " mips and " +
                    std::to_string(desc.array_layers) + " layers");
  }
  HostRing ring;
  ring.row_pitch_ = host_row_pitch(desc.width, desc.format);
  ring.slot_size_ = host_slot_size(desc.width, desc.height, desc.format);
  for (std::size_t i = 0; i < count; ++i) {
    GEYSER_TRY(auto slot, ipc::SharedMemory::create("geyser-host-slot", ring.slot_size_,
                                                    ipc::SharedAccess::CreatorWrites));
    ring.slots_.push_back(std::move(slot));
  }
  return ring;
}

std::vector<HostSlotMemory> HostRing::memory() const {
  std::vector<HostSlotMemory> out;
  out.reserve(slots_.size());
  for (const ipc::SharedMemory& slot : slots_) out.push_back({slot.bytes(), row_pitch_});
  return out;
}

Result<UniqueHandle> HostRing::share(std::size_t slot) const {
  return slots_[slot].share();
}

}  // namespace geyser::channel::detail
