// Internal: one strategy per external memory handle type (Dawn's
// MemoryServiceImplementation* pattern). Adding a handle type adds a file, not a branch.
#pragma once

#include <vulkan/vulkan.h>

#include "geyser/share_handle.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan::detail {

class ExternalMemoryService {
 public:
  virtual ~ExternalMemoryService() = default;
  [[nodiscard]] virtual MemoryHandleType handle_type() const noexcept = 0;
  [[nodiscard]] virtual VkExternalMemoryHandleTypeFlagBits vk_handle_type() const noexcept = 0;
  /// A new OS handle for `memory`; the caller owns it.
  [[nodiscard]] virtual Result<UniqueFd> export_memory(const Device& device,
                                                       VkDeviceMemory memory) const = 0;
  /// Checks that `fd` can be handed to the driver as this handle type for an allocation of
  /// `allocation_size` bytes, without reading from it (a driver that reads a pipe would
  /// block). Validation otherwise.
  [[nodiscard]] virtual Result<void> check_fd(int fd, VkDeviceSize allocation_size) const = 0;
  /// A descriptor of `fd`'s memory for the driver to take: a new open file description
  /// where the handle is a regular file (a memfd), a dup otherwise.
  [[nodiscard]] virtual Result<UniqueFd> duplicate_for_import(const UniqueFd& fd) const = 0;
  /// Allocates memory for `image` (dedicated) from `fd`. Consumes `fd` either way: on
  /// success the driver owns it, on failure it is closed.
  [[nodiscard]] virtual Result<VkDeviceMemory> import_memory(const Device& device, UniqueFd fd,
                                                             VkImage image, VkDeviceSize size,
                                                             std::uint32_t memory_type) const = 0;
};

/// The service for `type`, or nullptr where this build has none (OpaqueWin32 on Linux).
[[nodiscard]] const ExternalMemoryService* memory_service(MemoryHandleType type) noexcept;

}  // namespace geyser::vulkan::detail
