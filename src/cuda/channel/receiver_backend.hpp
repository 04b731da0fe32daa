// Internal: the CUDA consumer backend of the channel core: imports slots as CUDA arrays (or
// device pointers, for linear streams)
// and orders the application's reads on one CUDA stream with the sender's timelines
// (imported semaphores in gpu mode, CpuTimelines in cpu mode).
#pragma once

#include <memory>
#include <optional>

#include "geyser/channel/backend.hpp"
#include "geyser/cpu_timeline.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/semaphore.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/cuda/texture.hpp"

namespace geyser::cuda::detail {

/// One imported slot: its array (optimal slots) or its device memory (linear slots), and
/// its two timelines with the sender, in one mode.
struct CudaImportedSlot final : channel::ImportedSlot {
  std::optional<ImportedArray> texture;
  std::optional<ImportedBuffer> buffer;
  SyncMode mode = SyncMode::Cpu;
  // Declared after the texture: destroyed before it.
  std::optional<TimelineSemaphore> ready_semaphore;  // gpu mode
  std::optional<TimelineSemaphore> released_semaphore;
  std::optional<CpuTimeline> ready_timeline;  // cpu mode
  std::optional<CpuTimeline> released_timeline;
};

class CudaReceiverBackend final : public channel::ReceiverBackend {
 public:
  /// A backend on `context` (which must outlive it) that says Hello as `identity`.
  [[nodiscard]] static Result<std::unique_ptr<CudaReceiverBackend>> create(
      const Context& context, const DeviceIdentity& identity);

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override { return identity_; }
  [[nodiscard]] std::string device_name() const override;
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
  /// Not yet: a CUDA receiver of another device's sender is DeviceMismatch.
  [[nodiscard]] bool imports_host_frames() const noexcept override { return false; }
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
  [[nodiscard]] Result<void> finish(std::chrono::milliseconds timeout) override;
  void wait_idle() noexcept override;

  /// The stream every read is ordered on.
  [[nodiscard]] CUstream stream() const noexcept { return stream_.get(); }

 private:
  CudaReceiverBackend(const Context& context, const DeviceIdentity& identity, Stream stream)
      : context_(&context), identity_(identity), stream_(std::move(stream)) {}
  Result<void> import_sync(CudaImportedSlot& slot, channel::SlotSyncHandles handles) const;

  const Context* context_;
  DeviceIdentity identity_;
  Stream stream_;
};

/// The CUDA import behind an ImportedSlot made by CudaReceiverBackend.
[[nodiscard]] inline CudaImportedSlot& as_cuda_slot(channel::ImportedSlot& slot) noexcept {
  return static_cast<CudaImportedSlot&>(slot);
}

}  // namespace geyser::cuda::detail
