// Shared Vulkan semaphores: binary or timeline, exported and imported as OS handles (opaque
// fds on Linux; the external semaphore service the device supports picks the type).
#pragma once

#include <vulkan/vulkan.h>

#include "geyser/texture_share_manager.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan {

/// A VkSemaphore that can be exported or was imported. Destroy it before its Device.
class VulkanSharedSemaphore final : public SharedSemaphore {
 public:
  ~VulkanSharedSemaphore() override;
  [[nodiscard]] Backend backend() const noexcept override { return Backend::Vulkan; }
  [[nodiscard]] SemaphoreType type() const noexcept override { return type_; }
  [[nodiscard]] bool imported() const noexcept override { return imported_; }
  [[nodiscard]] VkSemaphore semaphore() const noexcept { return semaphore_; }
  [[nodiscard]] const Device& device() const noexcept { return *device_; }

  /// Timeline only: the current counter value (vkGetSemaphoreCounterValue).
  [[nodiscard]] Result<std::uint64_t> value() const;
  /// Timeline only: waits on the CPU until the counter reaches `value`; Timeout when
  /// `timeout_ns` passes first. DeviceLost if the device was lost.
  [[nodiscard]] Result<void> wait(std::uint64_t value, std::uint64_t timeout_ns) const;
  /// Timeline only: signals `value` from the host (vkSignalSemaphore); Validation if
  /// `value` is not above the current value.
  [[nodiscard]] Result<void> signal(std::uint64_t value) const;

 private:
  friend class VulkanTextureShareManager;
  VulkanSharedSemaphore(const Device& device, SemaphoreType type, bool imported)
      : device_(&device), type_(type), imported_(imported) {}
  const Device* device_;
  SemaphoreType type_;
  bool imported_;
  VkSemaphore semaphore_ = VK_NULL_HANDLE;
};

/// Whether a semaphore type can be shared on a device through its preferred external
/// semaphore handle type (opaque fd on Linux).
struct SemaphoreCapability {
  SemaphoreType type = SemaphoreType::Timeline;
  bool exportable = false;
  bool importable = false;
};

/// The Vulkan semaphore behind `semaphore`, or nullptr.
[[nodiscard]] const VulkanSharedSemaphore* as_vulkan(const SharedSemaphore* semaphore) noexcept;

}  // namespace geyser::vulkan
