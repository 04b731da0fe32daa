// Internal: a texture copied by the device straight into host memory (a sender's host slots,
// docs/host-frames.md) through VK_EXT_external_memory_host: no staging buffer, no memcpy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <vulkan/vulkan.h>

#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan::detail {

class CopyLane;

/// Host memory (page-aligned, e.g. a mapped memfd) imported into a device with
/// VK_EXT_external_memory_host as a buffer the device copies into. Move-only; frees the
/// buffer and the imported VkDeviceMemory (never the host memory) on destruction. The host
/// memory must stay mapped for the buffer's whole life, and its Device must outlive it.
class HostPointerBuffer {
 public:
  /// Unsupported when the device lacks the extension or no memory type of
  /// vkGetMemoryHostPointerPropertiesEXT suits a transfer-dst buffer; Validation when
  /// `memory`'s address or size is not a multiple of min_imported_host_pointer_alignment()
  /// (or it is empty). The buffer may be used on any one lane (CopyLane) of the device.
  [[nodiscard]] static Result<HostPointerBuffer> import(const Device& device,
                                                        std::span<std::byte> memory);

  HostPointerBuffer() = default;
  HostPointerBuffer(HostPointerBuffer&& other) noexcept;
  HostPointerBuffer& operator=(HostPointerBuffer&& other) noexcept;
  HostPointerBuffer(const HostPointerBuffer&) = delete;
  HostPointerBuffer& operator=(const HostPointerBuffer&) = delete;
  ~HostPointerBuffer();

  [[nodiscard]] VkBuffer buffer() const noexcept { return buffer_; }
  [[nodiscard]] VkDeviceMemory memory() const noexcept { return memory_; }
  /// The imported host memory.
  [[nodiscard]] std::span<std::byte> host() const noexcept { return host_; }
  [[nodiscard]] std::size_t size() const noexcept { return host_.size(); }

 private:
  friend Result<void> copy_to_host(VulkanSharedTexture& texture, const HostPointerBuffer& dest,
                                   std::uint32_t row_pitch, std::chrono::milliseconds timeout,
                                   CopyLane* lane);
  void reset() noexcept;

  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  std::span<std::byte> host_;
  // Set by copy_to_host when its copy may still be running (a timed-out wait): the buffer
  // and memory are then leaked, never destroyed while in use. Not part of the value.
  mutable bool leaked_ = false;
};

/// Where copy_to_host() runs. On a device with a transfer queue (Device::transfer_queue()),
/// the copy engine's: the copy then first waits, on that queue, for a timeline semaphore the
/// lane owns, which an empty submission on the main queue signals after everything
/// submitted there before (the application's writes to the texture). Otherwise the main
/// queue, whose submission order is enough. Move-only; leaks its semaphore rather than
/// destroy it while a copy that timed out may still wait on it.
class CopyLane {
 public:
  /// The transfer queue's lane where the device has one (`use_transfer_queue`), else the
  /// main queue's.
  [[nodiscard]] static Result<CopyLane> create(const Device& device,
                                               bool use_transfer_queue = true);

  CopyLane(CopyLane&& other) noexcept;
  CopyLane& operator=(CopyLane&& other) noexcept;
  CopyLane(const CopyLane&) = delete;
  CopyLane& operator=(const CopyLane&) = delete;
  ~CopyLane();

  /// The queue the copies are submitted to.
  [[nodiscard]] const QueueInfo& queue() const noexcept { return queue_; }
  /// True when that is the transfer queue.
  [[nodiscard]] bool dedicated() const noexcept { return semaphore_ != VK_NULL_HANDLE; }

 private:
  friend Result<void> copy_to_host(VulkanSharedTexture& texture, const HostPointerBuffer& dest,
                                   std::uint32_t row_pitch, std::chrono::milliseconds timeout,
                                   CopyLane* lane);
  CopyLane(VkDevice device, const QueueInfo& queue) noexcept : device_(device), queue_(queue) {}
  /// On a dedicated lane: submits the next value's signal on `main` and returns the wait
  /// for it; nothing on the main queue's lane.
  [[nodiscard]] Result<std::optional<VkSemaphoreSubmitInfo>> handoff(const QueueInfo& main);
  void reset() noexcept;

  VkDevice device_ = VK_NULL_HANDLE;
  QueueInfo queue_;
  VkSemaphore semaphore_ = VK_NULL_HANDLE;  // timeline; only on a dedicated lane
  std::uint64_t value_ = 0;
  bool leaked_ = false;
};

/// Copies mip 0 / layer 0 of `texture` into `dest` with rows `row_pitch` bytes apart
/// (a multiple of the format's texel size, at least width x texel size;
/// row_pitch x height <= dest.size(), Validation otherwise), on `lane`'s queue (null: the
/// main queue) after everything submitted to the main queue before: acquire barrier from the shared
/// layout (rule 4, as vulkan::readback does) to TRANSFER_SRC_OPTIMAL, vkCmdCopyImageToBuffer with
/// bufferRowLength = row_pitch / texel size, release barrier back to the shared layout
/// (texture.mark_released()), a buffer memory barrier to HOST read. Waits for it with a
/// fence at most `timeout` (Timeout; in-use objects leaked rather than destroyed while
/// pending, as fence_wait.hpp explains: `dest` then leaks its buffer and memory, and the
/// device may still write its host memory). The padding after each row is not written.
/// The texture needs TransferSrc usage; colour formats only. `dest` must be on the
/// texture's device.
/// Every copy into one `dest` must go through the same lane.
[[nodiscard]] Result<void> copy_to_host(VulkanSharedTexture& texture, const HostPointerBuffer& dest,
                                        std::uint32_t row_pitch, std::chrono::milliseconds timeout,
                                        CopyLane* lane = nullptr);

}  // namespace geyser::vulkan::detail
