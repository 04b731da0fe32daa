// Internal: the host backend of the sender core (docs/host-frames.md, "The host sender").
// Its slots are plain memory of this process, written by the CPU (a software renderer, a
// CPU decoder): nothing is exported, so every receiver takes host frames, and copying a
// frame to the core's host slot is a memcpy of its rows.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "geyser/channel/backend.hpp"

namespace geyser::host::detail {

class HostSenderBackend final : public channel::SenderBackend {
 public:
  /// No device: the all-zero identity, which no receiver's matches.
  [[nodiscard]] const DeviceIdentity& identity() const noexcept override { return identity_; }
  [[nodiscard]] std::string device_name() const override { return "host memory"; }
  /// No semaphores: host receivers are in cpu mode.
  [[nodiscard]] SyncCapabilities sync_capabilities() const override { return {}; }
  /// Nothing is exportable: receivers get host frames only.
  [[nodiscard]] bool shares_device_slots() const noexcept override { return false; }
  /// `count` slots of tight_size_bytes(desc); Unsupported for what host frames cannot carry
  /// (a depth format, several mips or layers), OutOfMemory when the memory is not there.
  [[nodiscard]] Result<void> create_slots(const TextureDescriptor& desc,
                                          std::size_t count) override;
  /// Never called (shares_device_slots() is false): a broken contract, which aborts.
  [[nodiscard]] const TextureShareHandle& slot_export(std::size_t slot) const override;
  /// Unsupported: the core makes host receivers' links itself.
  [[nodiscard]] Result<std::unique_ptr<channel::ProducerLink>> create_link(std::size_t slot,
                                                                           SyncMode mode) override;
  /// The CPU wrote the frame before the call: nothing to wait for. No zero-copy receiver
  /// exists, so `links` is empty (Internal otherwise).
  [[nodiscard]] Result<void> present(std::size_t slot, std::uint64_t frame,
                                     std::span<channel::ProducerLink* const> links,
                                     std::chrono::milliseconds timeout) override;
  /// Links of host receivers are CPU timelines: destroyed at once.
  void retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) override;
  void collect() override {}
  /// Copies tightly packed texels into `slot`; Validation for a size other than the frame's.
  [[nodiscard]] Result<void> write(std::size_t slot, std::span<const std::uint8_t> bytes) override;
  [[nodiscard]] Result<void> set_host_slots(
      std::span<const channel::HostSlotMemory> slots) override;
  /// Copies slot `slot`'s rows into host slot `slot` at its row pitch (a memcpy per row).
  [[nodiscard]] Result<void> copy_to_host(std::size_t slot,
                                          std::chrono::milliseconds timeout) override;

  /// Slot `slot`'s texels, tightly packed, for the application to write (valid until the
  /// next create_slots).
  [[nodiscard]] std::span<std::byte> slot_bytes(std::size_t slot) noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept { return desc_; }

 private:
  DeviceIdentity identity_;
  TextureDescriptor desc_;
  std::vector<std::vector<std::byte>> slots_;
  std::vector<channel::HostSlotMemory> host_;
};

}  // namespace geyser::host::detail
