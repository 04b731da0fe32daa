// Internal: one service per external memory handle type, as Dawn's
// native/vulkan/external_memory/ does. A new handle type (dma-buf, Win32, host memory) is a
// new file that defines its service and one entry in registry.cpp's preference list, not a
// branch in the callers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vulkan/vulkan.h>

#include "geyser/share_handle.hpp"
#include "geyser/unique_handle.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan::detail {

/// Exports and imports dedicated image memory as one OS handle type. Services are
/// stateless singletons owned by the registry; they own no handle beyond a call.
class ExternalMemoryService {
 public:
  virtual ~ExternalMemoryService() = default;
  /// The share handle's name for this handle type.
  [[nodiscard]] virtual MemoryHandleType handle_type() const noexcept = 0;
  /// The Vulkan bit for this handle type.
  [[nodiscard]] virtual VkExternalMemoryHandleTypeFlagBits vk_handle_type() const noexcept = 0;
  /// How messages name the handle type: "an opaque fd".
  [[nodiscard]] virtual std::string_view description() const noexcept = 0;
  /// Whether `device` has what this service calls (its extension enabled, its entry points
  /// loaded). The registry offers only available services for export.
  [[nodiscard]] virtual bool available(const Device& device) const noexcept = 0;
  /// Allocates memory that export_memory can export: `info` chains a
  /// VkExportMemoryAllocateInfo naming this handle type, and the service adds what its export
  /// needs at allocation time (Win32: VkExportMemoryWin32HandleInfoKHR with owner-only
  /// security). The caller owns the memory. `what` names the call in the driver's error.
  [[nodiscard]] virtual Result<VkDeviceMemory> allocate_exportable(const Device& device,
                                                                   const VkMemoryAllocateInfo& info,
                                                                   const std::string& what) const;
  /// A new OS handle for `memory`, owned by the caller. The driver's error otherwise.
  [[nodiscard]] virtual Result<UniqueHandle> export_memory(const Device& device,
                                                           VkDeviceMemory memory) const = 0;
  /// Checks that `handle` can be handed to the driver as this handle type for an allocation
  /// of `allocation_size` bytes, without reading from it (a driver that reads a pipe would
  /// block). Validation otherwise; `handle` stays the caller's.
  [[nodiscard]] virtual Result<void> check_handle(NativeHandle handle,
                                                  VkDeviceSize allocation_size) const = 0;
  /// A new handle to `handle`'s memory for the driver to take, owned by the caller; `handle`
  /// stays as it was. Validation if it cannot be duplicated.
  [[nodiscard]] virtual Result<UniqueHandle> duplicate_for_import(
      const UniqueHandle& handle) const = 0;
  /// Allocates memory for `image` (dedicated) from `handle`. Consumes `handle` either way:
  /// on success the driver owns it, on failure it is closed. The driver's error otherwise.
  [[nodiscard]] virtual Result<VkDeviceMemory> import_memory(const Device& device,
                                                             UniqueHandle handle, VkImage image,
                                                             VkDeviceSize size,
                                                             std::uint32_t memory_type) const = 0;
};

/// The service for `type`, or nullptr where this build has none (OpaqueWin32 on Linux).
/// Import picks by the handle's type: the exporter chose it.
[[nodiscard]] const ExternalMemoryService* memory_service(MemoryHandleType type) noexcept;
/// The first service in the registry's preference order that `device` can use, or nullptr
/// if none. Export and capability queries use it.
[[nodiscard]] const ExternalMemoryService* preferred_memory_service(const Device& device) noexcept;

#ifdef _WIN32
/// VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT (opaque_win32.cpp); for the registry.
[[nodiscard]] const ExternalMemoryService& opaque_win32_memory_service() noexcept;
#else
/// VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT (opaque_fd.cpp); for the registry.
[[nodiscard]] const ExternalMemoryService& opaque_fd_memory_service() noexcept;
#endif

#ifndef _WIN32
/// What opaque_fd.cpp's export_memory does to the fd the driver gave it (declared here for
/// the tests): a memfd is sealed against shrinking and growing (F_SEAL_SHRINK |
/// F_SEAL_GROW), because receivers refuse memfds without F_SEAL_SHRINK; one that is sealed
/// already is left as it is. Unsupported for a memfd that cannot be sealed (made without
/// MFD_ALLOW_SEALING, or F_SEAL_SEAL set without F_SEAL_SHRINK); fds that are not regular
/// files (device files) are left alone.
[[nodiscard]] Result<void> seal_exported_memfd(NativeHandle fd);
#endif

}  // namespace geyser::vulkan::detail
