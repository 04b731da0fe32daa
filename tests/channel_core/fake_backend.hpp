// A host-memory backend for the channel core's tests: slots are memfds, sync is two
// CpuTimelines per link, and every failure a test needs can be injected. It checks the
// core's side of the backend contract as it goes (ring and slot of each link, frame order,
// imports destroyed with device work pending) and counts what a leak would leave behind.
// Tests only: nothing here touches a device.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/channel/backend.hpp"
#include "geyser/cpu_timeline.hpp"

namespace geyser::channel::test {

/// A known identity: driver 0x47 0x59 ..., device `device` (every byte).
[[nodiscard]] DeviceIdentity fake_identity(std::uint8_t device = 1);

/// Makes a backend call fail: after `skip` more successful calls, the next `count` fail
/// with `code`. Disarmed (count 0) by default.
struct FailurePlan {
  ErrorCode code = ErrorCode::Internal;
  int skip = 0;
  int count = 0;

  void arm(ErrorCode failure, int times = 1, int after = 0) {
    code = failure;
    count = times;
    skip = after;
  }
  void disarm() { count = 0; }
  /// The error the call `call` must return now, if any (consumes one step of the plan).
  [[nodiscard]] std::optional<Error> next(std::string_view call);
};

/// What a test sets and observes of a FakeSenderBackend. Shared with the backend (and its
/// links), so it outlives the SenderCore. Used from the sender's thread only.
struct FakeSenderControl {
  DeviceIdentity identity = fake_identity();
  SyncCapabilities caps;  ///< none: receivers get `cpu` mode
  /// Leaves every VulkanImageInfo field zero, allocation size included.
  bool zero_image_info = false;
  /// shares_device_slots(): false makes a host-only sender (as host::Sender), whose
  /// slot_export and create_link the core must never call.
  bool shares_slots = true;
  FailurePlan create_slots;
  FailurePlan create_link;
  FailurePlan export_handles;
  FailurePlan present;
  FailurePlan write;
  FailurePlan copy_to_host;
  /// How long copy_to_host takes (a device copy still running after the announcement).
  std::chrono::milliseconds host_copy_time{0};
  /// Whether set_host_slots takes host slots (else Unsupported, as a device without
  /// VK_EXT_external_memory_host).
  bool host_copies = true;
  std::size_t host_slots = 0;          ///< host slots held now
  std::uint64_t host_copies_done = 0;  ///< copy_to_host calls that copied

  int live_links = 0;            ///< links made and not yet destroyed
  int retired_links = 0;         ///< of those, waiting in the backend for collect()
  std::uint64_t rings = 0;       ///< successful create_slots calls
  std::size_t slot_count = 0;    ///< slots in the current ring
  TextureDescriptor descriptor;  ///< of the current ring
  int violations = 0;            ///< breaches of the backend contract seen
  std::string last_violation;
};

/// The producer side: a ring of memfds of tight_size_bytes(desc), exported as OpaqueFd
/// TextureShareHandles (image info: only the allocation size, the memfd's); links of two
/// CpuTimelines (ready, released) in any mode the caps allow. present() signals each link's ready
/// timeline to the frame at once (the "device" has nothing to finish); retired links are freed at
/// the next collect() or create_slots().
class FakeSenderBackend final : public SenderBackend {
 public:
  explicit FakeSenderBackend(std::shared_ptr<FakeSenderControl> control);
  ~FakeSenderBackend() override;
  FakeSenderBackend(const FakeSenderBackend&) = delete;
  FakeSenderBackend& operator=(const FakeSenderBackend&) = delete;

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override { return "fake host memory"; }
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
  [[nodiscard]] bool shares_device_slots() const noexcept override {
    return control_->shares_slots;
  }
  [[nodiscard]] Result<void> create_slots(const TextureDescriptor& desc,
                                          std::size_t count) override;
  [[nodiscard]] const TextureShareHandle& slot_export(std::size_t slot) const override;
  [[nodiscard]] Result<std::unique_ptr<ProducerLink>> create_link(std::size_t slot,
                                                                  SyncMode mode) override;
  [[nodiscard]] Result<void> present(std::size_t slot, std::uint64_t frame,
                                     std::span<ProducerLink* const> links,
                                     std::chrono::milliseconds timeout) override;
  void retire(std::vector<std::unique_ptr<ProducerLink>> links) override;
  void collect() override;
  [[nodiscard]] Result<void> write(std::size_t slot, std::span<const std::uint8_t> bytes) override;
  /// Keeps the spans; copy_to_host copies the slot's memfd into one row by row (the fake's
  /// "device" is the CPU).
  [[nodiscard]] Result<void> set_host_slots(std::span<const HostSlotMemory> slots) override;
  [[nodiscard]] Result<void> copy_to_host(std::size_t slot,
                                          std::chrono::milliseconds timeout) override;

 private:
  void violation(const std::string& what) const;

  std::shared_ptr<FakeSenderControl> control_;
  std::vector<TextureShareHandle> slots_;
  std::vector<HostSlotMemory> host_;
  std::vector<std::unique_ptr<ProducerLink>> retired_;
  std::uint64_t last_frame_ = 0;  // frames rise within one sender
};

/// What a test sets and observes of a FakeReceiverBackend. Used from the thread that owns
/// the receiver (counters are atomic so that another thread may read them afterwards).
struct FakeReceiverControl {
  DeviceIdentity identity = fake_identity();
  SyncCapabilities caps;     ///< none: `cpu` mode
  bool host_frames = false;  ///< imports_host_frames()
  /// What the harness's connect_fake and connect_unserved ask for (ReceiverOptions::transfer).
  TransferRequest transfer = TransferRequest::Auto;
  /// ReceiverOptions::gpu_timeout for them (the harness's kShort when 0).
  std::chrono::milliseconds gpu_timeout{0};
  /// ReceiverOptions::spin for them (the default when negative).
  std::chrono::microseconds spin{-1};
  FailurePlan import_slot;
  FailurePlan begin_read;
  FailurePlan end_read;
  /// What the core passed to the last begin_read and end_read (the fake treats both the
  /// same: the application's submissions are modelled by its own device work).
  ReadSubmission last_begin = ReadSubmission::Backend;
  ReadSubmission last_end = ReadSubmission::Backend;

  std::atomic<int> live_imports{0};  ///< imported slots not yet destroyed
  std::atomic<int> violations{0};
  std::string last_violation;
};

/// A slot's released timeline and the device work that will signal it.
struct FakeRelease {
  CpuTimeline timeline;
  int pending = 0;  ///< gpu mode: signals submitted, not yet executed
};

/// One imported slot: the memfd (read with pread) and the two timelines.
struct FakeImportedSlot final : ImportedSlot {
  FakeImportedSlot(std::shared_ptr<FakeReceiverControl> control, TextureDescriptor desc,
                   UniqueFd memory, CpuTimeline ready, std::shared_ptr<FakeRelease> released,
                   SyncMode mode);
  ~FakeImportedSlot() override;
  FakeImportedSlot(const FakeImportedSlot&) = delete;
  FakeImportedSlot& operator=(const FakeImportedSlot&) = delete;

  std::shared_ptr<FakeReceiverControl> control;
  TextureDescriptor descriptor;
  UniqueFd memory;
  CpuTimeline ready;
  std::shared_ptr<FakeRelease> released;  // shared with device work still pending
  SyncMode mode;
  std::uint32_t row_pitch = 0;  ///< host frames: rows this far apart; 0: tightly packed
};

/// The consumer side. In `cpu` mode begin_read waits on the ready timeline and end_read and
/// skip signal the released one at once. In `gpu` mode (when both sides' caps allow it)
/// end_read and skip only queue the signal as device work, which runs at execute(),
/// finish() or wait_idle(): the sender must not reuse the slot before.
class FakeReceiverBackend final : public ReceiverBackend {
 public:
  explicit FakeReceiverBackend(std::shared_ptr<FakeReceiverControl> control)
      : control_(std::move(control)) {}
  ~FakeReceiverBackend() override;
  FakeReceiverBackend(const FakeReceiverBackend&) = delete;
  FakeReceiverBackend& operator=(const FakeReceiverBackend&) = delete;

  [[nodiscard]] const DeviceIdentity& identity() const noexcept override;
  [[nodiscard]] std::string device_name() const override { return "fake host memory"; }
  [[nodiscard]] SyncCapabilities sync_capabilities() const override;
  [[nodiscard]] bool imports_host_frames() const noexcept override { return control_->host_frames; }
  [[nodiscard]] Result<std::shared_ptr<ImportedSlot>> import_slot(SlotImport slot) override;
  [[nodiscard]] Result<void> begin_read(ImportedSlot& slot, std::uint64_t frame,
                                        std::chrono::milliseconds timeout,
                                        ReadSubmission submission) override;
  [[nodiscard]] Result<void> end_read(ImportedSlot& slot, std::uint64_t frame,
                                      std::chrono::milliseconds timeout,
                                      ReadSubmission submission) override;
  [[nodiscard]] Result<void> skip(ImportedSlot& slot, std::uint64_t frame) override;
  [[nodiscard]] Result<void> wait_written(ImportedSlot& slot, std::uint64_t frame,
                                          std::chrono::milliseconds timeout) override;
  [[nodiscard]] Result<void> finish(std::chrono::milliseconds timeout) override;
  void wait_idle() noexcept override;

  /// Runs the device work queued so far (gpu-mode release signals).
  void execute() noexcept;
  /// Device work queued and not yet run.
  [[nodiscard]] std::size_t pending_work() const noexcept { return pending_.size(); }

 private:
  struct Signal {
    std::shared_ptr<FakeRelease> release;
    std::uint64_t value;
  };
  Result<void> release(FakeImportedSlot& slot, std::uint64_t frame);
  void violation(const std::string& what);

  std::shared_ptr<FakeReceiverControl> control_;
  std::vector<Signal> pending_;
};

/// The bytes of an imported slot as they are now (tight_size_bytes of its descriptor).
[[nodiscard]] std::vector<std::uint8_t> read_slot(const ImportedSlot& slot);
/// The descriptor an imported slot was made for.
[[nodiscard]] const TextureDescriptor& slot_descriptor(const ImportedSlot& slot);

}  // namespace geyser::channel::test
