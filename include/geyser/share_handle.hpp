// Backend-neutral handles that carry a shared texture or semaphore to another device,
// API or process.
#pragma once

#include <cstdint>

#include "geyser/device_identity.hpp"
#include "geyser/texture.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser {

/// The OS handle type behind a share handle.
enum class MemoryHandleType : std::uint8_t {
  OpaqueFd,     ///< VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT (Linux)
  OpaqueWin32,  ///< VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT (Windows)
  HostMemfd,    ///< a sealed memfd of linear host memory (host frames, docs/host-frames.md)
};
[[nodiscard]] std::string_view to_string(MemoryHandleType type) noexcept;

/// The layout every shared image is in between accesses, on every side
/// (docs/architecture.md, rule 4).
/// GL calls it GL_LAYOUT_GENERAL_EXT.
inline constexpr std::uint32_t kSharedImageLayout = 1;  // VK_IMAGE_LAYOUT_GENERAL

/// VkImageTiling's values for VulkanImageInfo::tiling, for code that sees no Vulkan header
/// (the wire, GL, CUDA): optimal images, and linear ones (rows at a pitch from offset 0).
inline constexpr std::uint32_t kVkTilingOptimal = 0;  // VK_IMAGE_TILING_OPTIMAL
inline constexpr std::uint32_t kVkTilingLinear = 1;   // VK_IMAGE_TILING_LINEAR

/// The Vulkan facts an importer needs to create an identical image (docs/architecture.md, rule 3).
/// Plain values, so that they can be sent over the wire as they are. They come from the peer,
/// so an import accepts only what Geyser's own export sets for the descriptor (anything else
/// is Validation naming the field, before any Vulkan call).
struct VulkanImageInfo {
  std::uint32_t vk_format = 0;        ///< VkFormat: the format table's for the descriptor's format
  std::uint32_t tiling = 0;           ///< VkImageTiling: OPTIMAL, or LINEAR (linear streams)
  std::uint32_t usage = 0;            ///< VkImageUsageFlags: to_vk_usage(descriptor.usage)
  std::uint32_t create_flags = 0;     ///< VkImageCreateFlags: always 0
  std::uint64_t allocation_size = 0;  ///< VkMemoryAllocateInfo::allocationSize of the export
  std::uint32_t memory_type_index = 0;
  bool dedicated = true;  ///< one image per allocation (docs/architecture.md, rule 2)
  friend bool operator==(const VulkanImageInfo&, const VulkanImageInfo&) = default;
};

/// A texture's memory, exported. Owns one duplicated OS handle: destroying the handle
/// closes it, and importing does not consume it (the importer duplicates). Move-only;
/// clone() duplicates the OS handle.
struct TextureShareHandle {
  UniqueHandle os_handle;
  MemoryHandleType handle_type = MemoryHandleType::OpaqueFd;
  DeviceIdentity identity;
  TextureDescriptor descriptor;
  VulkanImageInfo image;
  /// Bytes from one row to the next for linear memory (MemoryHandleType::HostMemfd, or a
  /// linear image, whose rows start at offset 0); 0 for an optimal image, whose layout only
  /// its driver knows. Last, so that aggregate initialisers of
  /// the fields above stay valid.
  std::uint32_t row_pitch = 0;

  /// A copy with its own duplicated OS handle.
  [[nodiscard]] Result<TextureShareHandle> clone() const;
};

/// The kind of a shared semaphore.
enum class SemaphoreType : std::uint8_t { Binary, Timeline };
[[nodiscard]] std::string_view to_string(SemaphoreType type) noexcept;

/// The OS handle type behind a semaphore share handle.
enum class SemaphoreHandleType : std::uint8_t {
  OpaqueFd,     ///< VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT (Linux)
  OpaqueWin32,  ///< VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT (Windows)
};
[[nodiscard]] std::string_view to_string(SemaphoreHandleType type) noexcept;

/// A semaphore, exported. Owns one duplicated OS handle, like TextureShareHandle.
struct SemaphoreShareHandle {
  UniqueHandle os_handle;
  /// The exporter's semaphore type. Import creates the semaphore with it, so it must be what
  /// the exporter made (Vulkan requires the types to match for opaque fds).
  SemaphoreType type = SemaphoreType::Timeline;
  DeviceIdentity identity;
  /// Picks the service that imports it. Not on the wire: a received handle keeps the
  /// default, the only type this platform exports (OpaqueFd on Linux, OpaqueWin32 on
  /// Windows). Last, so that aggregate initialisers of the fields above stay valid.
#ifdef _WIN32
  SemaphoreHandleType handle_type = SemaphoreHandleType::OpaqueWin32;
#else
  SemaphoreHandleType handle_type = SemaphoreHandleType::OpaqueFd;
#endif

  [[nodiscard]] Result<SemaphoreShareHandle> clone() const;
};

}  // namespace geyser
