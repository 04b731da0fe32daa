#include "geyser/vulkan/host_slot_writer.hpp"

#include <optional>
#include <string>
#include <vector>

#include "../host_copy.hpp"

namespace geyser::vulkan {

struct HostSlotWriter::Impl {
  struct Slot {
    detail::HostPointerBuffer buffer;
    std::uint32_t row_pitch = 0;
  };
  const Device* device;
  std::vector<Slot> slots;
  // The copy engine's queue where the device has one; made with the first slots.
  std::optional<detail::CopyLane> lane;
};

HostSlotWriter::HostSlotWriter(const Device& device)
    : impl_(std::make_unique<Impl>(Impl{&device, {}, std::nullopt})) {}
HostSlotWriter::HostSlotWriter(HostSlotWriter&&) noexcept = default;
HostSlotWriter& HostSlotWriter::operator=(HostSlotWriter&&) noexcept = default;
HostSlotWriter::~HostSlotWriter() = default;

Result<void> HostSlotWriter::set(std::span<const channel::HostSlotMemory> slots) {
  impl_->slots.clear();
  if (slots.empty()) return {};
  if (!impl_->device->host_pointer_import()) {
    return fail(ErrorCode::Unsupported, impl_->device->name() +
                                            " cannot write host frames: it lacks "
                                            "VK_EXT_external_memory_host");
  }
  if (!impl_->lane) {
    GEYSER_TRY(detail::CopyLane lane, detail::CopyLane::create(*impl_->device));
    impl_->lane.emplace(std::move(lane));
  }
  std::vector<Impl::Slot> fresh;
  fresh.reserve(slots.size());
  for (const channel::HostSlotMemory& slot : slots) {
    GEYSER_TRY(auto buffer, detail::HostPointerBuffer::import(*impl_->device, slot.bytes));
    fresh.push_back(Impl::Slot{std::move(buffer), slot.row_pitch});
  }
  impl_->slots = std::move(fresh);
  return {};
}

Result<void> HostSlotWriter::copy(VulkanSharedTexture& texture, std::size_t slot,
                                  std::chrono::milliseconds timeout) {
  if (slot >= impl_->slots.size()) {
    return fail(ErrorCode::Validation, "HostSlotWriter::copy: no host slot " +
                                           std::to_string(slot) + " (" +
                                           std::to_string(impl_->slots.size()) + " held)");
  }
  const Impl::Slot& target = impl_->slots[slot];
  return detail::copy_to_host(texture, target.buffer, target.row_pitch, timeout, &*impl_->lane);
}

}  // namespace geyser::vulkan
