#include "sender_backend.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "geyser/transfer.hpp"

namespace geyser::host::detail {
namespace {

// What a host slot can carry (the core's HostRing makes the same check): refused at
// publish, since every receiver of a host sender takes host frames.
Result<void> check_host_format(const TextureDescriptor& desc) {
  const FormatInfo& format = format_info(desc.format);
  if (format.kind == FormatKind::Color && desc.mip_levels == 1 && desc.array_layers == 1) {
    return {};
  }
  return fail(ErrorCode::Unsupported,
              "a host sender writes colour formats with one mip level and one layer, not " +
                  describe(desc) + " with " + std::to_string(desc.mip_levels) + " mips and " +
                  std::to_string(desc.array_layers) + " layers");
}

std::size_t tight_row(const TextureDescriptor& desc) {
  return std::size_t{desc.width} * format_info(desc.format).texel_size;
}

}  // namespace

Result<void> HostSenderBackend::create_slots(const TextureDescriptor& desc, std::size_t count) {
  GEYSER_TRY_VOID(check_host_format(desc));
  const auto size = static_cast<std::size_t>(tight_size_bytes(desc));
  std::vector<std::vector<std::byte>> fresh;
  try {
    fresh.reserve(count);
    for (std::size_t i = 0; i < count; ++i) fresh.emplace_back(size);
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::OutOfMemory, "host sender: no memory for " + std::to_string(count) +
                                            " slots of " + std::to_string(size) + " bytes");
  }
  slots_ = std::move(fresh);
  desc_ = desc;
  return {};
}

const TextureShareHandle& HostSenderBackend::slot_export(std::size_t slot) const {
  std::fprintf(stderr,
               "geyser: HostSenderBackend::slot_export(%zu) called, but a host sender shares no "
               "device slots (SenderBackend::shares_device_slots)\n",
               slot);
  std::abort();
}

Result<std::unique_ptr<channel::ProducerLink>> HostSenderBackend::create_link(std::size_t slot,
                                                                              SyncMode) {
  return fail(ErrorCode::Unsupported, "host sender: slot " + std::to_string(slot) +
                                          " is not shared with zero-copy receivers; host "
                                          "receivers' links are the channel core's");
}

Result<void> HostSenderBackend::present(std::size_t slot, std::uint64_t frame,
                                        std::span<channel::ProducerLink* const> links,
                                        std::chrono::milliseconds) {
  if (slot >= slots_.size()) {
    return fail(ErrorCode::Validation, "host sender: present of slot " + std::to_string(slot) +
                                           " of " + std::to_string(slots_.size()));
  }
  if (!links.empty()) {
    return fail(ErrorCode::Internal, "host sender: frame " + std::to_string(frame) + " has " +
                                         std::to_string(links.size()) +
                                         " zero-copy links, but it shares no device slots");
  }
  return {};
}

void HostSenderBackend::retire(std::vector<std::unique_ptr<channel::ProducerLink>> links) {
  links.clear();  // CPU timelines: nothing on a device still uses them
}

Result<void> HostSenderBackend::write(std::size_t slot, std::span<const std::uint8_t> bytes) {
  if (slot >= slots_.size()) {
    return fail(ErrorCode::Validation, "host sender: write of slot " + std::to_string(slot) +
                                           " of " + std::to_string(slots_.size()));
  }
  std::vector<std::byte>& target = slots_[slot];
  if (bytes.size() != target.size()) {
    return fail(ErrorCode::Validation, "Sender::write: " + std::to_string(bytes.size()) +
                                           " bytes for a frame of " + describe(desc_) + " (" +
                                           std::to_string(target.size()) + " bytes packed)");
  }
  std::memcpy(target.data(), bytes.data(), bytes.size());
  return {};
}

Result<void> HostSenderBackend::set_host_slots(std::span<const channel::HostSlotMemory> slots) {
  if (!slots.empty() && slots.size() != slots_.size()) {
    return fail(ErrorCode::Internal, "host sender: " + std::to_string(slots.size()) +
                                         " host slots for a ring of " +
                                         std::to_string(slots_.size()));
  }
  host_.assign(slots.begin(), slots.end());
  return {};
}

Result<void> HostSenderBackend::copy_to_host(std::size_t slot, std::chrono::milliseconds) {
  if (slot >= slots_.size() || slot >= host_.size()) {
    return fail(ErrorCode::Internal, "host sender: no host slot " + std::to_string(slot) + " (" +
                                         std::to_string(host_.size()) + " host slots)");
  }
  const std::size_t row = tight_row(desc_);
  const channel::HostSlotMemory& host = host_[slot];
  if (host.row_pitch < row || host.bytes.size() < std::size_t{host.row_pitch} * desc_.height) {
    return fail(ErrorCode::Internal, "host sender: host slot " + std::to_string(slot) + " of " +
                                         std::to_string(host.bytes.size()) + " bytes, rows of " +
                                         std::to_string(host.row_pitch) + ", cannot hold " +
                                         describe(desc_));
  }
  const std::byte* source = slots_[slot].data();
  for (std::uint32_t y = 0; y < desc_.height; ++y) {
    std::memcpy(host.bytes.data() + std::size_t{y} * host.row_pitch, source + y * row, row);
  }
  return {};
}

std::span<std::byte> HostSenderBackend::slot_bytes(std::size_t slot) noexcept {
  return slots_[slot];
}

}  // namespace geyser::host::detail
