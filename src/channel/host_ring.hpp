// Internal: what the sender core keeps for host receivers (docs/host-frames.md): a ring of
// linear host slots in sealed memfds, mirroring the device ring slot for slot, and the
// CPU timelines that link each slot with each host receiver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/shared_memory.hpp"

namespace geyser::channel::detail {

/// One slot with one host receiver: a CpuTimeline each way, signalled on the CPU.
class HostLink final : public ProducerLink {
 public:
  [[nodiscard]] static Result<std::unique_ptr<HostLink>> create();
  [[nodiscard]] SyncMode mode() const noexcept override { return SyncMode::Cpu; }
  [[nodiscard]] Result<SlotSyncHandles> export_handles() const override;
  [[nodiscard]] Result<std::uint64_t> released_value() const override;
  /// Frame `frame` is in the host slot.
  void signal_ready(std::uint64_t frame) noexcept { ready_.signal(frame); }

 private:
  HostLink(CpuTimeline ready, CpuTimeline released)
      : ready_(std::move(ready)), released_(std::move(released)) {}
  CpuTimeline ready_;
  CpuTimeline released_;
};

/// The host slots: one memfd per slot, sealed against resizing and against writable
/// mappings by anyone but this process, so that receivers map them read-only.
class HostRing {
 public:
  /// `count` slots for frames of `desc` (a colour format with one mip and one layer,
  /// Unsupported otherwise, naming it).
  [[nodiscard]] static Result<HostRing> create(const TextureDescriptor& desc, std::size_t count);

  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
  [[nodiscard]] std::uint32_t row_pitch() const noexcept { return row_pitch_; }
  [[nodiscard]] std::uint64_t slot_size() const noexcept { return slot_size_; }
  /// The slots' memory as the backend writes it.
  [[nodiscard]] std::vector<HostSlotMemory> memory() const;
  /// A handle to slot `slot` for a receiver (the caller owns it).
  [[nodiscard]] Result<UniqueHandle> share(std::size_t slot) const;

 private:
  HostRing() = default;
  std::vector<ipc::SharedMemory> slots_;
  std::uint32_t row_pitch_ = 0;
  std::uint64_t slot_size_ = 0;
};

}  // namespace geyser::channel::detail
