// Internal: the host backend of the channel core. A slot is a host slot mapped read-only
// (ipc::SharedMemory checks its seals and size) and two CpuTimelines; reads happen on the
// CPU, so beginning one waits for the ready timeline and ending one signals the released
// one.
#pragma once

#include <memory>

#include "geyser/channel/backend.hpp"
#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/shared_memory.hpp"

namespace geyser::host::detail {

struct HostSlot final : channel::ImportedSlot {
  HostSlot(ipc::SharedMemory m, TextureDescriptor d, std::uint32_t pitch, CpuTimeline r,
           CpuTimeline rel)
      : memory(std::move(m)),
        descriptor(d),
        row_pitch(pitch),
        ready(std::move(r)),
        released(std::move(rel)) {}
  ipc::SharedMemory memory;
  TextureDescriptor descriptor;
  std::uint32_t row_pitch;
  CpuTimeline ready;
  CpuTimeline released;
};

class HostReceiverBackend final : public channel::ReceiverBackend {
 public:
  /// No device: the all-zero identity, which matches no sender's.
  [[nodiscard]] const DeviceIdentity& identity() const noexcept override { return identity_; }
  [[nodiscard]] std::string device_name() const override { return "host memory"; }
  [[nodiscard]] SyncCapabilities sync_capabilities() const override { return {}; }
  [[nodiscard]] bool imports_host_frames() const noexcept override { return true; }
  [[nodiscard]] Result<std::shared_ptr<channel::ImportedSlot>> import_slot(
      channel::SlotImport slot) override;
  [[nodiscard]] Result<void> begin_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                        std::chrono::milliseconds timeout,
                                        channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> end_read(channel::ImportedSlot& slot, std::uint64_t frame,
                                      std::chrono::milliseconds timeout,
                                      channel::ReadSubmission submission) override;
  [[nodiscard]] Result<void> skip(channel::ImportedSlot& slot, std::uint64_t frame) override;
  [[nodiscard]] Result<void> wait_written(channel::ImportedSlot& slot, std::uint64_t frame,
                                          std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> finish(std::chrono::milliseconds) override { return {}; }
  void wait_idle() noexcept override {}

 private:
  DeviceIdentity identity_;
};

}  // namespace geyser::host::detail
