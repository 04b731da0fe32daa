// The backend interface of the channel core: what a graphics API (Vulkan today; OpenGL,
// CUDA and host memory next) implements so that SenderCore and ReceiverCore can carry its
// textures. The core owns the protocol, the ring, generations, reconnection, release
// accounting and stats; a backend owns textures, their exports and imports, and the GPU or
// CPU work that orders the two sides' accesses (docs/architecture.md, "The channel core").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"
#include "geyser/transfer.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::channel {

/// Who puts a frame's device-side wait (begin_read) and release signal (end_read) on the
/// queue. Backend: the backend submits them itself (one submission each). Application: the
/// application puts them into its own submissions (for Vulkan: vulkan::Receiver's
/// begin_access and end_access), so the backend submits nothing; CPU waits and signals
/// (cpu mode) are the backend's either way. Unread (end_read only): the application did
/// not read the frame on the device, so there is nothing to order the release after: the
/// backend submits and waits for nothing, and the page tells the sender it may rewrite the
/// slot at once.
enum class ReadSubmission : std::uint8_t { Backend, Application, Unread };

/// The two handles that synchronize one slot with one receiver: in SyncMode::Gpu exported
/// timeline semaphores, in SyncMode::Cpu CpuTimeline memfds. Owns both.
struct SlotSyncHandles {
  UniqueHandle ready;     ///< the sender signals frame N here when it is written
  UniqueHandle released;  ///< the receiver signals frame N here when it is done reading it
};

/// Producer side: one slot's synchronization with one receiver, in one sync mode.
class ProducerLink {
 public:
  virtual ~ProducerLink() = default;
  [[nodiscard]] virtual SyncMode mode() const noexcept = 0;
  /// New handles for the receiver (the caller owns them).
  [[nodiscard]] virtual Result<SlotSyncHandles> export_handles() const = 0;
  /// What the receiver has signalled on `released` so far. Never waits.
  [[nodiscard]] virtual Result<std::uint64_t> released_value() const = 0;

 protected:
  ProducerLink() = default;
};

/// One host slot: linear memory the core owns and shares with host receivers, which the
/// backend's device writes frames into (docs/host-frames.md). Page-aligned, its size a
/// multiple of kHostSlotAlignment; rows `row_pitch` bytes apart.
struct HostSlotMemory {
  std::span<std::byte> bytes;
  std::uint32_t row_pitch = 0;
};

/// The producer side of a backend: a ring of exportable slots on one device. Called from
/// the thread that owns the SenderCore.
class SenderBackend {
 public:
  virtual ~SenderBackend() = default;
  /// The identity every slot's export carries.
  [[nodiscard]] virtual const DeviceIdentity& identity() const noexcept = 0;
  /// The device's name, for messages.
  [[nodiscard]] virtual std::string device_name() const = 0;
  /// What this side can do with shared semaphores (choose_sync_mode).
  [[nodiscard]] virtual SyncCapabilities sync_capabilities() const = 0;
  /// Whether the slots live in exportable device memory that receivers on this device
  /// import (zero-copy). False for a backend whose slots are its process's own memory (the
  /// host sender): it exports nothing, every receiver gets host frames, one that asks for
  /// zero-copy only is refused with DeviceMismatch, and slot_export and create_link are
  /// never called.
  [[nodiscard]] virtual bool shares_device_slots() const noexcept = 0;

  /// Replaces the ring with `count` slots of `desc`, once the device no longer uses the old
  /// ones; links retired before are destroyed then too. On failure the old ring and its
  /// links stay usable. The links of the old ring are retired after this call: destroying
  /// them must not need their slot. When shares_device_slots(), each slot's export must have
  /// a non-zero image.allocation_size (the wire requires one; docs/protocol.md).
  [[nodiscard]] virtual Result<void> create_slots(const TextureDescriptor& desc,
                                                  std::size_t count) = 0;
  /// Slot `slot`'s memory, exported once per ring; the core duplicates its handle per
  /// receiver. Valid until the next create_slots. Called only when shares_device_slots().
  [[nodiscard]] virtual const TextureShareHandle& slot_export(std::size_t slot) const = 0;
  /// A new link for `slot` with a zero-copy receiver in `mode` (host receivers' links are the
  /// core's). Unsupported when the device cannot. Called only when shares_device_slots().
  [[nodiscard]] virtual Result<std::unique_ptr<ProducerLink>> create_link(std::size_t slot,
                                                                          SyncMode mode) = 0;
  /// Announces that the application has written frame `frame` into `slot` (its work
  /// submitted before this call) to the receivers of `links`, which were made for `slot`:
  /// a Gpu link is signalled `frame` after that work, on the device; for Cpu links the work
  /// is waited for (at most `timeout`) and then they are signalled on the CPU. Called for
  /// every present, with no links when no receiver gets the frame.
  [[nodiscard]] virtual Result<void> present(std::size_t slot, std::uint64_t frame,
                                             std::span<ProducerLink* const> links,
                                             std::chrono::milliseconds timeout) = 0;
  /// Takes the links of a closed connection: the device may still use them, so they are
  /// destroyed once it no longer does (collect(), create_slots() or destruction). Never waits.
  virtual void retire(std::vector<std::unique_ptr<ProducerLink>> links) = 0;
  /// Destroys retired links the device is done with. Never waits.
  virtual void collect() = 0;
  /// Writes tightly packed texels into `slot` and waits for the copy (Sender::write).
  [[nodiscard]] virtual Result<void> write(std::size_t slot,
                                           std::span<const std::uint8_t> bytes) = 0;

  /// Host frames: the host slots to write from now on, one per ring slot (the same index),
  /// or none. The backend readies its device to write them (for Vulkan, imports them with
  /// VK_EXT_external_memory_host) and lets go of the previous ones first; the core frees
  /// those only after this returns. Unsupported, naming why, when the device cannot write
  /// host memory: the core then refuses host receivers with that error.
  [[nodiscard]] virtual Result<void> set_host_slots(std::span<const HostSlotMemory> slots) = 0;
  /// Copies the frame in `slot` (written by work submitted before present()) into host slot
  /// `slot` with one device copy, and waits at most `timeout` until it is there. Called
  /// after present() for frames that host receivers get, once however many there are.
  [[nodiscard]] virtual Result<void> copy_to_host(std::size_t slot,
                                                  std::chrono::milliseconds timeout) = 0;

 protected:
  SenderBackend() = default;
};

/// Consumer side: one imported slot (its texture and its sync with the sender). The
/// backend's own type; the core only keeps it alive.
class ImportedSlot {
 public:
  virtual ~ImportedSlot() = default;

 protected:
  ImportedSlot() = default;
};

/// What the sender says about the slots of a generation (from its StreamDescription).
struct SlotImport {
  TextureShareHandle memory;  ///< the slot's memory; owns its handle
  SlotSyncHandles sync;
  SyncMode mode = SyncMode::Cpu;
};

/// The consumer side of a backend: imports slots on one device and orders its reads after
/// the sender's writes. Called from the thread that owns the ReceiverCore.
class ReceiverBackend {
 public:
  virtual ~ReceiverBackend() = default;
  /// The identity this side imports on (sent in Hello, compared with the sender's).
  [[nodiscard]] virtual const DeviceIdentity& identity() const noexcept = 0;
  [[nodiscard]] virtual std::string device_name() const = 0;
  [[nodiscard]] virtual SyncCapabilities sync_capabilities() const = 0;
  /// Whether import_slot takes host frames (MemoryHandleType::HostMemfd slots, cpu sync):
  /// then the receiver asks for them when the sender's device is not its own (or always,
  /// with TransferRequest::Host); otherwise it asks for zero-copy only.
  [[nodiscard]] virtual bool imports_host_frames() const noexcept = 0;

  /// Imports one slot. Consumes `slot`'s handles (what the import keeps is its own).
  /// DeviceMismatch, Unsupported, Validation as the backend's import says.
  [[nodiscard]] virtual Result<std::shared_ptr<ImportedSlot>> import_slot(SlotImport slot) = 0;
  /// Frame `frame` of `slot` becomes readable for the application's next submissions:
  /// Gpu mode orders them after the sender's signal (with ReadSubmission::Application the
  /// application's first submission waits itself, and nothing is submitted here); Cpu mode
  /// waits (at most `timeout`).
  [[nodiscard]] virtual Result<void> begin_read(ImportedSlot& slot, std::uint64_t frame,
                                                std::chrono::milliseconds timeout,
                                                ReadSubmission submission) = 0;
  /// Gives frame `frame` back after the application's reads submitted so far: Gpu mode
  /// signals after them on the device (with ReadSubmission::Application the application's
  /// last submission signalled itself, and nothing is submitted here); Cpu mode waits for
  /// them (at most `timeout`), then signals on the CPU.
  [[nodiscard]] virtual Result<void> end_read(ImportedSlot& slot, std::uint64_t frame,
                                              std::chrono::milliseconds timeout,
                                              ReadSubmission submission) = 0;
  /// Gives back a frame that was never read, ordered after earlier releases.
  [[nodiscard]] virtual Result<void> skip(ImportedSlot& slot, std::uint64_t frame) = 0;
  /// Waits on the CPU, at most `timeout`, until the sender has written frame `frame`
  /// (the last frame of a sender that went away). Timeout otherwise.
  [[nodiscard]] virtual Result<void> wait_written(ImportedSlot& slot, std::uint64_t frame,
                                                  std::chrono::milliseconds timeout) = 0;
  /// Waits, at most `timeout`, until everything the application submitted so far is done
  /// (before imports are destroyed).
  [[nodiscard]] virtual Result<void> finish(std::chrono::milliseconds timeout) = 0;
  /// Waits without bound until the device is idle (destruction).
  virtual void wait_idle() noexcept = 0;

 protected:
  ReceiverBackend() = default;
};

}  // namespace geyser::channel
