// The host-memory backend of the channel core's tests.
#include "fake_backend.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

namespace geyser::channel::test {
namespace {

// One slot's sync with one receiver: two CpuTimelines, whatever the mode (a gpu link only
// differs in when the receiver's side signals `released`).
class FakeProducerLink final : public ProducerLink {
 public:
  FakeProducerLink(std::shared_ptr<FakeSenderControl> control, std::uint64_t ring, std::size_t slot,
                   SyncMode mode, CpuTimeline ready, CpuTimeline released)
      : control_(std::move(control)),
        ring_(ring),
        slot_(slot),
        mode_(mode),
        ready_(std::move(ready)),
        released_(std::move(released)) {
    ++control_->live_links;
  }
  ~FakeProducerLink() override { --control_->live_links; }
  FakeProducerLink(const FakeProducerLink&) = delete;
  FakeProducerLink& operator=(const FakeProducerLink&) = delete;

  SyncMode mode() const noexcept override { return mode_; }
  Result<SlotSyncHandles> export_handles() const override {
    if (auto failure = control_->export_handles.next("export_handles")) return fail(*failure);
    GEYSER_TRY(UniqueHandle ready, ready_.export_handle());
    GEYSER_TRY(UniqueHandle released, released_.export_handle());
    return SlotSyncHandles{std::move(ready), std::move(released)};
  }
  Result<std::uint64_t> released_value() const override { return released_.value(); }

  std::uint64_t ring() const noexcept { return ring_; }
  std::size_t slot() const noexcept { return slot_; }
  void signal_ready(std::uint64_t frame) noexcept { ready_.signal(frame); }

 private:
  std::shared_ptr<FakeSenderControl> control_;
  std::uint64_t ring_;
  std::size_t slot_;
  SyncMode mode_;
  CpuTimeline ready_;
  CpuTimeline released_;
};

Result<UniqueFd> make_slot_memory(std::uint64_t size) {
  UniqueFd fd(::memfd_create("geyser-fake-slot", MFD_CLOEXEC));
  if (!fd) return fail(Error::from_errno(ErrorCode::Internal, "fake: memfd_create", errno));
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return fail(Error::from_errno(ErrorCode::OutOfMemory, "fake: ftruncate", errno));
  }
  return fd;
}

}  // namespace

DeviceIdentity fake_identity(std::uint8_t device) {
  DeviceIdentity identity;
  identity.driver_uuid.fill(0x47);
  identity.driver_uuid[0] = 0x59;
  identity.device_uuid.fill(device);
  return identity;
}

std::optional<Error> FailurePlan::next(std::string_view call) {
  if (count <= 0) return std::nullopt;
  if (skip > 0) {
    --skip;
    return std::nullopt;
  }
  --count;
  return Error(code, "fake backend: injected failure of " + std::string(call));
}

// --- sender ---

FakeSenderBackend::FakeSenderBackend(std::shared_ptr<FakeSenderControl> control)
    : control_(std::move(control)) {}

FakeSenderBackend::~FakeSenderBackend() {
  collect();
  control_->slot_count = 0;
}

void FakeSenderBackend::violation(const std::string& what) const {
  ++control_->violations;
  control_->last_violation = what;
}

const DeviceIdentity& FakeSenderBackend::identity() const noexcept {
  return control_->identity;
}

SyncCapabilities FakeSenderBackend::sync_capabilities() const {
  return control_->caps;
}

Result<void> FakeSenderBackend::create_slots(const TextureDescriptor& desc, std::size_t count) {
  if (auto failure = control_->create_slots.next("create_slots")) return fail(*failure);
  if (count == 0 || count > 16) violation("create_slots: " + std::to_string(count) + " slots");
  std::vector<TextureShareHandle> fresh(count);
  for (TextureShareHandle& slot : fresh) {
    GEYSER_TRY(slot.os_handle, make_slot_memory(tight_size_bytes(desc)));
    slot.handle_type = MemoryHandleType::OpaqueFd;
    slot.identity = control_->identity;
    slot.descriptor = desc;
    // The wire format requires a non-zero allocation size (docs/protocol.md); the other
    // Vulkan fields mean nothing here and stay zero.
    if (!control_->zero_image_info) slot.image.allocation_size = tight_size_bytes(desc);
  }
  // The "device" is done with the old ring and every retired link at once.
  collect();
  slots_ = std::move(fresh);
  ++control_->rings;
  control_->slot_count = count;
  control_->descriptor = desc;
  return {};
}

const TextureShareHandle& FakeSenderBackend::slot_export(std::size_t slot) const {
  static const TextureShareHandle none;
  if (!control_->shares_slots) violation("slot_export of a sender that shares no slots");
  if (slot >= slots_.size()) {
    violation("slot_export of slot " + std::to_string(slot));
    return none;
  }
  return slots_[slot];
}

Result<std::unique_ptr<ProducerLink>> FakeSenderBackend::create_link(std::size_t slot,
                                                                     SyncMode mode) {
  if (auto failure = control_->create_link.next("create_link")) return fail(*failure);
  if (!control_->shares_slots) violation("create_link of a sender that shares no slots");
  if (slot >= slots_.size()) {
    violation("create_link for slot " + std::to_string(slot) + " of " +
              std::to_string(slots_.size()));
    return fail(ErrorCode::Validation, "fake: no such slot");
  }
  if (mode == SyncMode::Gpu &&
      !(control_->caps.timeline_export && control_->caps.timeline_import)) {
    return fail(ErrorCode::Unsupported, "fake: this backend was made without gpu sync");
  }
  GEYSER_TRY(CpuTimeline ready, CpuTimeline::create());
  GEYSER_TRY(CpuTimeline released, CpuTimeline::create());
  return std::unique_ptr<ProducerLink>(new FakeProducerLink(control_, control_->rings, slot, mode,
                                                            std::move(ready), std::move(released)));
}

Result<void> FakeSenderBackend::present(std::size_t slot, std::uint64_t frame,
                                        std::span<ProducerLink* const> links,
                                        std::chrono::milliseconds /*timeout*/) {
  if (auto failure = control_->present.next("present")) return fail(*failure);
  if (slot >= slots_.size()) violation("present of slot " + std::to_string(slot));
  if (frame <= last_frame_) {
    violation("present of frame " + std::to_string(frame) + " after frame " +
              std::to_string(last_frame_));
  }
  last_frame_ = frame;
  for (ProducerLink* link : links) {
    auto* fake = static_cast<FakeProducerLink*>(link);
    if (fake == nullptr || fake->ring() != control_->rings || fake->slot() != slot) {
      violation("present of frame " + std::to_string(frame) + " in slot " + std::to_string(slot) +
                " with a link of another slot or ring");
      continue;
    }
    fake->signal_ready(frame);
  }
  return {};
}

void FakeSenderBackend::retire(std::vector<std::unique_ptr<ProducerLink>> links) {
  for (auto& link : links) {
    if (!link) continue;
    ++control_->retired_links;
    retired_.push_back(std::move(link));
  }
}

void FakeSenderBackend::collect() {
  control_->retired_links -= static_cast<int>(retired_.size());
  retired_.clear();
}

Result<void> FakeSenderBackend::write(std::size_t slot, std::span<const std::uint8_t> bytes) {
  if (auto failure = control_->write.next("write")) return fail(*failure);
  if (slot >= slots_.size()) {
    violation("write to slot " + std::to_string(slot));
    return fail(ErrorCode::Validation, "fake: no such slot");
  }
  const std::uint64_t size = tight_size_bytes(slots_[slot].descriptor);
  if (bytes.size() != size) {
    return fail(ErrorCode::Validation, "fake write: " + std::to_string(bytes.size()) +
                                           " bytes for a slot of " + std::to_string(size));
  }
  if (::pwrite(slots_[slot].os_handle.get(), bytes.data(), bytes.size(), 0) !=
      static_cast<ssize_t>(bytes.size())) {
    return fail(Error::from_errno(ErrorCode::Internal, "fake: pwrite", errno));
  }
  return {};
}

// --- receiver ---

Result<void> FakeSenderBackend::set_host_slots(std::span<const HostSlotMemory> slots) {
  host_.clear();
  control_->host_slots = 0;
  if (slots.empty()) return {};
  if (!control_->host_copies) return fail(ErrorCode::Unsupported, "fake: no host copies");
  if (slots.size() != slots_.size()) {
    violation(std::to_string(slots.size()) + " host slots for " + std::to_string(slots_.size()));
  }
  host_.assign(slots.begin(), slots.end());
  control_->host_slots = host_.size();
  return {};
}

Result<void> FakeSenderBackend::copy_to_host(std::size_t slot, std::chrono::milliseconds) {
  if (slot >= host_.size() || slot >= slots_.size()) {
    violation("copy_to_host of slot " + std::to_string(slot));
    return fail(ErrorCode::Validation, "fake: no such host slot");
  }
  if (auto failure = control_->copy_to_host.next("copy_to_host")) return fail(*failure);
  if (control_->host_copy_time.count() > 0) std::this_thread::sleep_for(control_->host_copy_time);
  const TextureDescriptor& desc = slots_[slot].descriptor;
  const std::size_t row = std::size_t{desc.width} * format_info(desc.format).texel_size;
  const HostSlotMemory& target = host_[slot];
  for (std::uint32_t y = 0; y < desc.height; ++y) {
    auto* out = target.bytes.data() + std::size_t{y} * target.row_pitch;
    if (::pread(slots_[slot].os_handle.get(), out, row, static_cast<off_t>(y * row)) !=
        static_cast<ssize_t>(row)) {
      return fail(Error::from_errno(ErrorCode::Internal, "fake: pread", errno));
    }
  }
  ++control_->host_copies_done;
  return {};
}

FakeImportedSlot::FakeImportedSlot(std::shared_ptr<FakeReceiverControl> c, TextureDescriptor desc,
                                   UniqueFd fd, CpuTimeline ready_timeline,
                                   std::shared_ptr<FakeRelease> release, SyncMode sync_mode)
    : control(std::move(c)),
      descriptor(desc),
      memory(std::move(fd)),
      ready(std::move(ready_timeline)),
      released(std::move(release)),
      mode(sync_mode) {
  ++control->live_imports;
}

FakeImportedSlot::~FakeImportedSlot() {
  if (released->pending > 0) {
    ++control->violations;
    control->last_violation = "an import was destroyed with device work pending on it";
  }
  --control->live_imports;
}

FakeReceiverBackend::~FakeReceiverBackend() {
  execute();
}

void FakeReceiverBackend::violation(const std::string& what) {
  ++control_->violations;
  control_->last_violation = what;
}

const DeviceIdentity& FakeReceiverBackend::identity() const noexcept {
  return control_->identity;
}

SyncCapabilities FakeReceiverBackend::sync_capabilities() const {
  return control_->caps;
}

Result<std::shared_ptr<ImportedSlot>> FakeReceiverBackend::import_slot(SlotImport slot) {
  if (auto failure = control_->import_slot.next("import_slot")) return fail(*failure);
  const TextureShareHandle& memory = slot.memory;
  const bool host = memory.handle_type == MemoryHandleType::HostMemfd;
  if (host && !control_->host_frames) violation("host frames imported without asking");
  if (!host && memory.handle_type != MemoryHandleType::OpaqueFd) {
    return fail(ErrorCode::Unsupported, "fake import: not an opaque fd");
  }
  if (!host && !memory.identity.compatible_with(control_->identity)) {
    return fail(ErrorCode::DeviceMismatch, "fake import: memory of another device");
  }
  GEYSER_TRY_VOID(validate(memory.descriptor));
  struct stat st {};
  const std::uint64_t size =
      host ? memory.image.allocation_size : tight_size_bytes(memory.descriptor);
  if (!memory.os_handle || ::fstat(memory.os_handle.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != size) {
    return fail(ErrorCode::Validation,
                "fake import: the memory is not a " + std::to_string(size) + "-byte memfd");
  }
  if (slot.mode == SyncMode::Gpu && !control_->caps.timeline_import) {
    return fail(ErrorCode::Unsupported, "fake import: gpu sync without timeline import");
  }
  GEYSER_TRY(CpuTimeline ready, CpuTimeline::open(std::move(slot.sync.ready)));
  GEYSER_TRY(CpuTimeline released, CpuTimeline::open(std::move(slot.sync.released)));
  auto release = std::make_shared<FakeRelease>(FakeRelease{std::move(released), 0});
  auto imported = std::make_shared<FakeImportedSlot>(
      control_, memory.descriptor, std::move(slot.memory.os_handle), std::move(ready),
      std::move(release), slot.mode);
  if (host) imported->row_pitch = memory.row_pitch;
  return std::shared_ptr<ImportedSlot>(std::move(imported));
}

Result<void> FakeReceiverBackend::begin_read(ImportedSlot& slot, std::uint64_t frame,
                                             std::chrono::milliseconds timeout,
                                             ReadSubmission submission) {
  control_->last_begin = submission;
  if (auto failure = control_->begin_read.next("begin_read")) return fail(*failure);
  auto& fake = static_cast<FakeImportedSlot&>(slot);
  if (fake.mode == SyncMode::Gpu) {
    // A device wait for a value nobody signalled yet would hang the queue.
    if (fake.ready.value() < frame) violation("begin_read of a frame not yet presented");
    return {};
  }
  return fake.ready.wait(frame, timeout);
}

Result<void> FakeReceiverBackend::release(FakeImportedSlot& slot, std::uint64_t frame) {
  FakeRelease& release = *slot.released;
  const std::uint64_t before = release.timeline.value();
  std::uint64_t last = before;
  for (const Signal& signal : pending_) {
    if (signal.release == slot.released && signal.value > last) last = signal.value;
  }
  if (frame <= last) {
    violation("frame " + std::to_string(frame) + " released after frame " + std::to_string(last) +
              " of the same slot");
  }
  if (slot.mode == SyncMode::Cpu) {
    release.timeline.signal(frame);
    return {};
  }
  pending_.push_back(Signal{slot.released, frame});
  ++release.pending;
  return {};
}

Result<void> FakeReceiverBackend::end_read(ImportedSlot& slot, std::uint64_t frame,
                                           std::chrono::milliseconds /*timeout*/,
                                           ReadSubmission submission) {
  control_->last_end = submission;
  if (auto failure = control_->end_read.next("end_read")) return fail(*failure);
  auto& fake = static_cast<FakeImportedSlot&>(slot);
  if (submission == ReadSubmission::Unread) {
    // Not read on the device: no device work to order the release after.
    if (fake.mode == SyncMode::Cpu) fake.released->timeline.signal(frame);
    return {};
  }
  return release(fake, frame);
}

Result<void> FakeReceiverBackend::skip(ImportedSlot& slot, std::uint64_t frame) {
  return release(static_cast<FakeImportedSlot&>(slot), frame);
}

Result<void> FakeReceiverBackend::wait_written(ImportedSlot& slot, std::uint64_t frame,
                                               std::chrono::milliseconds timeout) {
  return static_cast<FakeImportedSlot&>(slot).ready.wait(frame, timeout);
}

Result<void> FakeReceiverBackend::finish(std::chrono::milliseconds /*timeout*/) {
  execute();
  return {};
}

void FakeReceiverBackend::wait_idle() noexcept {
  execute();
}

void FakeReceiverBackend::execute() noexcept {
  for (Signal& signal : pending_) {
    signal.release->timeline.signal(signal.value);
    --signal.release->pending;
  }
  pending_.clear();
}

std::vector<std::uint8_t> read_slot(const ImportedSlot& slot) {
  const auto& fake = static_cast<const FakeImportedSlot&>(slot);
  std::vector<std::uint8_t> bytes(tight_size_bytes(fake.descriptor));
  if (fake.row_pitch != 0) {  // host frames: the rows without their padding
    const TextureDescriptor& d = fake.descriptor;
    const std::size_t row = std::size_t{d.width} * format_info(d.format).texel_size;
    for (std::uint32_t y = 0; y < d.height; ++y) {
      if (::pread(fake.memory.get(), bytes.data() + y * row, row,
                  static_cast<off_t>(std::size_t{y} * fake.row_pitch)) !=
          static_cast<ssize_t>(row)) {
        bytes.clear();
        break;
      }
    }
    return bytes;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(fake.memory.get(), bytes.data() + done, bytes.size() - done,
                                static_cast<off_t>(done));
    if (got <= 0) {
      bytes.resize(done);
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return bytes;
}

const TextureDescriptor& slot_descriptor(const ImportedSlot& slot) {
  return static_cast<const FakeImportedSlot&>(slot).descriptor;
}

}  // namespace geyser::channel::test
