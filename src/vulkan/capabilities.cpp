// What a device can share: image format support with external memory, per format and usage.
#include <algorithm>
#include <string>

#include "external_memory/service.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "image_support.hpp"

namespace geyser::vulkan {
namespace detail {
namespace {

struct ExternalSupport {
  VkResult result = VK_ERROR_FORMAT_NOT_SUPPORTED;
  VkImageFormatProperties limits{};
  VkExternalMemoryFeatureFlags features = 0;
};

ExternalSupport query_external(VkPhysicalDevice physical, VkFormat format, VkImageTiling tiling,
                               VkImageUsageFlags usage, VkImageCreateFlags flags,
                               VkExternalMemoryHandleTypeFlagBits handle_type) {
  VkPhysicalDeviceExternalImageFormatInfo external_info{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO};
  external_info.handleType = handle_type;
  VkPhysicalDeviceImageFormatInfo2 format_info2{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2, &external_info};
  format_info2.format = format;
  format_info2.type = VK_IMAGE_TYPE_2D;
  format_info2.tiling = tiling;
  format_info2.usage = usage;
  format_info2.flags = flags;
  VkExternalImageFormatProperties external_props{
      VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
  VkImageFormatProperties2 props{VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, &external_props};
  ExternalSupport out;
  out.result = vkGetPhysicalDeviceImageFormatProperties2(physical, &format_info2, &props);
  if (out.result == VK_SUCCESS) {
    out.limits = props.imageFormatProperties;
    out.features = external_props.externalMemoryProperties.externalMemoryFeatures;
  }
  return out;
}

}  // namespace

VulkanImageInfo shared_image_info(const TextureDescriptor& desc, Tiling tiling) noexcept {
  VulkanImageInfo info;
  info.vk_format = format_info(desc.format).vk_format;
  info.tiling = tiling == Tiling::Linear ? VK_IMAGE_TILING_LINEAR : VK_IMAGE_TILING_OPTIMAL;
  info.usage = to_vk_usage(desc.usage);
  info.create_flags = 0;
  info.dedicated = true;
  return info;
}

std::optional<Tiling> tiling_of(const VulkanImageInfo& info) noexcept {
  if (info.tiling == VK_IMAGE_TILING_OPTIMAL) return Tiling::Optimal;
  if (info.tiling == VK_IMAGE_TILING_LINEAR) return Tiling::Linear;
  return std::nullopt;
}

VkImageCreateInfo image_create_info(const TextureDescriptor& desc, const VulkanImageInfo& info,
                                    const void* next) {
  VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, next};
  ci.flags = info.create_flags;
  ci.imageType = VK_IMAGE_TYPE_2D;
  ci.format = static_cast<VkFormat>(info.vk_format);
  ci.extent = {desc.width, desc.height, 1};
  ci.mipLevels = desc.mip_levels;
  ci.arrayLayers = desc.array_layers;
  ci.samples = VK_SAMPLE_COUNT_1_BIT;
  ci.tiling = static_cast<VkImageTiling>(info.tiling);
  ci.usage = info.usage;
  ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  return ci;
}

Result<void> check_image_support(const Device& device, const TextureDescriptor& desc,
                                 const VulkanImageInfo& info, const ExternalMemoryService& service,
                                 Direction direction, const char* call) {
  const VkPhysicalDeviceLimits& limits = device.properties().limits;
  const std::string what = std::string(call) + "(" + describe(desc) + ")";
  if (desc.width > limits.maxImageDimension2D || desc.height > limits.maxImageDimension2D) {
    return fail(ErrorCode::Validation, what + ": extent exceeds the device's maxImageDimension2D " +
                                           std::to_string(limits.maxImageDimension2D));
  }
  if (desc.array_layers > limits.maxImageArrayLayers) {
    return fail(ErrorCode::Validation, what + ": " + std::to_string(desc.array_layers) +
                                           " layers exceed the device's maxImageArrayLayers " +
                                           std::to_string(limits.maxImageArrayLayers));
  }
  const ExternalSupport support =
      query_external(device.physical_device(), static_cast<VkFormat>(info.vk_format),
                     static_cast<VkImageTiling>(info.tiling), info.usage, info.create_flags,
                     service.vk_handle_type());
  if (support.result == VK_ERROR_FORMAT_NOT_SUPPORTED) {
    return fail(Error(
        ErrorCode::Unsupported,
        what + ": " + device.name() + " cannot create this format with usage " +
            [&] {
              std::string s;
              for (auto n : usage_names(desc.usage)) s += (s.empty() ? "" : "|") + std::string(n);
              return s;
            }() +
            " as shareable memory",
        NativeDomain::VkResult, support.result));
  }
  if (support.result != VK_SUCCESS) {
    return tl::unexpected(
        vk_error(support.result, what + ": vkGetPhysicalDeviceImageFormatProperties2"));
  }
  const VkExternalMemoryFeatureFlags needed = direction == Direction::Export
                                                  ? VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT
                                                  : VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
  if ((support.features & needed) == 0) {
    return fail(ErrorCode::Unsupported, what + ": " + device.name() + " cannot " +
                                            (direction == Direction::Export ? "export" : "import") +
                                            " this image as " + std::string(service.description()));
  }
  if (desc.width > support.limits.maxExtent.width ||
      desc.height > support.limits.maxExtent.height ||
      desc.mip_levels > support.limits.maxMipLevels ||
      desc.array_layers > support.limits.maxArrayLayers) {
    return fail(ErrorCode::Validation,
                what + ": beyond what the device allows for this format (max " +
                    std::to_string(support.limits.maxExtent.width) + "x" +
                    std::to_string(support.limits.maxExtent.height) + ", " +
                    std::to_string(support.limits.maxMipLevels) + " mips, " +
                    std::to_string(support.limits.maxArrayLayers) + " layers)");
  }
  return {};
}

}  // namespace detail

FormatCapability VulkanTextureShareManager::query_format(TextureFormat format) const {
  FormatCapability cap;
  cap.format = format;
  // What the device would export with; nothing is shareable where it can use no service.
  const detail::ExternalMemoryService* service = detail::preferred_memory_service(*device_);
  if (service == nullptr) return cap;
  cap.handle_type = service->handle_type();
  for (TextureUsage usage : kAllUsages) {
    // Report only what create_shareable_texture would accept: the format must be able to
    // have the usage at all (validate), and the device must export and import it.
    const TextureDescriptor desc{.format = format, .usage = usage};
    if (!validate(desc)) continue;
    const VulkanImageInfo info = detail::shared_image_info(desc);
    const auto support =
        detail::query_external(device_->physical_device(), static_cast<VkFormat>(info.vk_format),
                               static_cast<VkImageTiling>(info.tiling), info.usage,
                               info.create_flags, service->vk_handle_type());
    if (support.result != VK_SUCCESS) continue;
    const bool exportable = (support.features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0;
    const bool importable = (support.features & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0;
    cap.exportable = cap.exportable || exportable;
    cap.importable = cap.importable || importable;
    if (exportable && importable) {
      cap.usages |= usage;
      cap.dedicated_only = cap.dedicated_only ||
                           (support.features & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0;
      cap.max_width = std::max(cap.max_width, support.limits.maxExtent.width);
      cap.max_height = std::max(cap.max_height, support.limits.maxExtent.height);
    }
  }
  return cap;
}

std::vector<FormatCapability> VulkanTextureShareManager::query_formats() const {
  std::vector<FormatCapability> out;
  for (const FormatInfo& fi : all_formats()) out.push_back(query_format(fi.format));
  return out;
}

}  // namespace geyser::vulkan
