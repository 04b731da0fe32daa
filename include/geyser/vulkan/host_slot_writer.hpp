// Writes a sender's frames into the channel core's host slots (docs/host-frames.md) with one
// device copy each: every slot's memory is imported with VK_EXT_external_memory_host, so the
// GPU writes it directly, with no staging buffer and no CPU copy. Shared by the Vulkan
// sender and by the OpenGL and CUDA senders, whose rings live on a Vulkan twin.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

#include "geyser/channel/backend.hpp"
#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan {

class HostSlotWriter {
 public:
  /// A writer for `device`, which must outlive it. Holds no slots yet.
  explicit HostSlotWriter(const Device& device);
  HostSlotWriter(HostSlotWriter&&) noexcept;
  HostSlotWriter& operator=(HostSlotWriter&&) noexcept;
  HostSlotWriter(const HostSlotWriter&) = delete;
  HostSlotWriter& operator=(const HostSlotWriter&) = delete;
  ~HostSlotWriter();

  /// Imports `slots` (none: lets go of them all). Every copy into the old ones has finished
  /// already (copy() waits). Unsupported when the device lacks VK_EXT_external_memory_host
  /// or cannot import the memory; the writer then holds no slots.
  [[nodiscard]] Result<void> set(std::span<const channel::HostSlotMemory> slots);
  /// Copies `texture` (its writes submitted to the device's queue before) into host slot
  /// `slot`, on the device's transfer queue where it has one (else its queue), and waits
  /// at most `timeout` until it is there. Validation for a slot it does
  /// not hold.
  [[nodiscard]] Result<void> copy(VulkanSharedTexture& texture, std::size_t slot,
                                  std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace geyser::vulkan
