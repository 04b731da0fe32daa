// Internal: one service per external semaphore handle type, as Dawn's
// native/vulkan/external_semaphore/ does. A new handle type (sync fd, Win32, Zircon event) is
// a new file that defines its service and one entry in registry.cpp's preference list, not a
// branch in semaphore.cpp.
#pragma once

#include <span>
#include <string_view>

#include <vulkan/vulkan.h>

#include "geyser/share_handle.hpp"
#include "geyser/unique_handle.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan::detail {

/// Exports and imports VkSemaphores as one OS handle type. Services are stateless
/// singletons owned by the registry; they own no handle beyond a call.
class ExternalSemaphoreService {
 public:
  virtual ~ExternalSemaphoreService() = default;
  /// The share handle's name for this handle type.
  [[nodiscard]] virtual SemaphoreHandleType handle_type() const noexcept = 0;
  /// The Vulkan bit for this handle type.
  [[nodiscard]] virtual VkExternalSemaphoreHandleTypeFlagBits vk_handle_type() const noexcept = 0;
  /// How messages name the handle type: "an opaque fd".
  [[nodiscard]] virtual std::string_view description() const noexcept = 0;
  /// The device extension the service needs: "VK_KHR_external_semaphore_fd".
  [[nodiscard]] virtual std::string_view extension_name() const noexcept = 0;
  /// Whether `device` has that extension enabled and its entry points loaded. An
  /// unavailable service reports nothing exportable or importable.
  [[nodiscard]] virtual bool available(const Device& device) const noexcept = 0;
  /// Creates a semaphore that export_semaphore can export: `info` chains a
  /// VkExportSemaphoreCreateInfo naming this handle type, and the service adds what its
  /// export needs at creation time (Win32: VkExportSemaphoreWin32HandleInfoKHR with owner-only
  /// security). The caller owns the semaphore. The driver's error otherwise.
  [[nodiscard]] virtual Result<VkSemaphore> create_exportable(
      const Device& device, const VkSemaphoreCreateInfo& info) const;
  /// A new OS handle for `semaphore` (created exportable as this type), owned by the
  /// caller. The driver's error otherwise.
  [[nodiscard]] virtual Result<UniqueHandle> export_semaphore(const Device& device,
                                                              VkSemaphore semaphore) const = 0;
  /// Checks that `handle` can be handed to the driver as this handle type, without reading
  /// from it. Validation otherwise; `handle` stays the caller's.
  [[nodiscard]] virtual Result<void> check_handle(NativeHandle handle) const = 0;
  /// Imports `handle` into `semaphore` (created without export info). Consumes `handle`
  /// either way: on success the driver owns it, on failure it is closed. The driver's error
  /// otherwise.
  [[nodiscard]] virtual Result<void> import_semaphore(const Device& device, VkSemaphore semaphore,
                                                      UniqueHandle handle) const = 0;
};

/// The service for `type`, or nullptr where this build has none. Import picks by the
/// handle's type: the exporter chose it.
[[nodiscard]] const ExternalSemaphoreService* semaphore_service(SemaphoreHandleType type) noexcept;
/// The first service in the registry's preference order that `device` can use, or nullptr
/// if none. Creation, export and capability queries use it.
[[nodiscard]] const ExternalSemaphoreService* preferred_semaphore_service(
    const Device& device) noexcept;
/// Every service this build has, most preferred first (for messages naming what a device
/// lacks). The registry owns them.
[[nodiscard]] std::span<const ExternalSemaphoreService* const> semaphore_services() noexcept;

#ifdef _WIN32
/// VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT (opaque_win32.cpp); for the registry.
[[nodiscard]] const ExternalSemaphoreService& opaque_win32_semaphore_service() noexcept;
#else
/// VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT (opaque_fd.cpp); for the registry.
[[nodiscard]] const ExternalSemaphoreService& opaque_fd_semaphore_service() noexcept;
#endif

}  // namespace geyser::vulkan::detail
