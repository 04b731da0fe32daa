// Internal: what the device supports for shared images, and how they are created.
#pragma once

#include <optional>

#include <vulkan/vulkan.h>

#include "external_memory/service.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan::detail {

enum class Direction { Export, Import };

/// What Geyser creates every shared image with for `desc`: the format table's VkFormat,
/// `tiling` (OPTIMAL unless asked for LINEAR), to_vk_usage(desc.usage), no create flags,
/// dedicated. create() uses it, and
/// import accepts only handles whose VulkanImageInfo says the same (docs/architecture.md,
/// rule 3). The allocation size and memory type are left 0: the allocation decides them.
/// `desc` must have passed validate() (format_info aborts on a format outside the enum).
[[nodiscard]] VulkanImageInfo shared_image_info(const TextureDescriptor& desc,
                                                Tiling tiling = Tiling::Optimal) noexcept;

/// The tiling a peer's VulkanImageInfo names, or nothing for a value Geyser never shares.
[[nodiscard]] std::optional<Tiling> tiling_of(const VulkanImageInfo& info) noexcept;

/// The VkImageCreateInfo for a shared image; `next` is the external memory info.
[[nodiscard]] VkImageCreateInfo image_create_info(const TextureDescriptor& desc,
                                                  const VulkanImageInfo& info, const void* next);

/// Checks with vkGetPhysicalDeviceImageFormatProperties2 and the device limits that the
/// image can be created and exported (or imported) through `service`. Validation for
/// extents beyond the device's limits, Unsupported for format/usage/handle combinations
/// the device cannot do. `call` names the public function in messages.
[[nodiscard]] Result<void> check_image_support(const Device& device, const TextureDescriptor& desc,
                                               const VulkanImageInfo& info,
                                               const ExternalMemoryService& service,
                                               Direction direction, const char* call);

}  // namespace geyser::vulkan::detail
