// VulkanTextureShareManager: exportable dedicated images, their export and their import.
#include "geyser/vulkan/texture_share_manager.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "external_memory/service.hpp"
#include "image_support.hpp"

namespace geyser::vulkan {
namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// "TransferSrc|Sampled".
std::string usage_list(TextureUsage usage) {
  std::string out;
  for (const std::string_view name : usage_names(usage)) {
    out += (out.empty() ? "" : "|") + std::string(name);
  }
  return out.empty() ? "none" : out;
}

// The peer's VulkanImageInfo reaches vkGetPhysicalDeviceImageFormatProperties2 and
// vkCreateImage as it is, so it may only say what Geyser's own create() says for `desc`
// (detail::shared_image_info; docs/architecture.md, rule 3). Undefined bits are invalid API
// usage (VUID-VkImageCreateInfo-flags-parameter, -usage-parameter); SPARSE_BINDING and
// PROTECTED need features Geyser never enables (VUID-VkImageCreateInfo-flags-00969, -01890);
// MUTABLE_FORMAT or a usage beyond the descriptor's make an image that lavapipe imports
// without complaint, with another layout than the exporter's memory may have; a LINEAR
// image must come with its row pitch (checked by import()). `desc` has passed validate(). Checked
// before any Vulkan call and before the fd is looked at.
Result<void> check_image_info(const TextureDescriptor& desc, const VulkanImageInfo& info) {
  const std::optional<Tiling> tiling = detail::tiling_of(info);
  if (!tiling) {
    return fail(ErrorCode::Validation,
                "import_texture: VulkanImageInfo::tiling " + std::to_string(info.tiling) +
                    " is neither VK_IMAGE_TILING_OPTIMAL nor VK_IMAGE_TILING_LINEAR, the "
                    "tilings Geyser shares images with");
  }
  const VulkanImageInfo expected = detail::shared_image_info(desc, *tiling);
  if (info.vk_format != expected.vk_format) {
    return fail(ErrorCode::Validation,
                "import_texture: VulkanImageInfo::vk_format " + std::to_string(info.vk_format) +
                    " is not " + std::to_string(expected.vk_format) +
                    ", the format table's VkFormat for the descriptor's format " +
                    std::string(to_string(desc.format)));
  }
  VkImageUsageFlags known = 0;
  for (TextureUsage u : kAllUsages) known |= to_vk_usage(u);
  if ((info.usage & ~known) != 0) {
    return fail(ErrorCode::Validation,
                "import_texture: VulkanImageInfo::usage " + hex32(info.usage) + " has bits " +
                    hex32(info.usage & ~known) + " that no TextureUsage maps to");
  }
  if (info.usage != expected.usage) {
    return fail(ErrorCode::Validation, "import_texture: VulkanImageInfo::usage " +
                                           hex32(info.usage) + " is not " + hex32(expected.usage) +
                                           ", what Geyser sets for the descriptor's usage " +
                                           usage_list(desc.usage));
  }
  if (info.create_flags != expected.create_flags) {
    return fail(ErrorCode::Validation, "import_texture: VulkanImageInfo::create_flags " +
                                           hex32(info.create_flags) + " is not " +
                                           hex32(expected.create_flags) +
                                           ", the flags Geyser creates shared images with");
  }
  return {};
}

// Linear images: one mip level and one layer (what every driver can lay out linearly and
// what a pointer and a pitch describe).
Result<void> check_linear_descriptor(const TextureDescriptor& desc, const char* call) {
  if (desc.mip_levels != 1 || desc.array_layers != 1) {
    return fail(ErrorCode::Validation, std::string(call) + "(" + describe(desc) +
                                           "): " + std::to_string(desc.mip_levels) +
                                           " mip levels and " + std::to_string(desc.array_layers) +
                                           " layers: a linear texture has one of each");
  }
  return {};
}

// Where mip 0 / layer 0 of a linear image lies: its rows must start at offset 0, and the
// pitch must be a whole number of texels (what a receiver's pointer + pitch assume).
Result<std::uint32_t> linear_row_pitch(VkDevice device, VkImage image,
                                       const TextureDescriptor& desc, const char* call) {
  const VkImageSubresource sub{VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
  VkSubresourceLayout layout{};
  vkGetImageSubresourceLayout(device, image, &sub, &layout);
  const std::uint32_t texel = format_info(desc.format).texel_size;
  if (layout.offset != 0 || layout.rowPitch > UINT32_MAX || layout.rowPitch % texel != 0 ||
      layout.rowPitch < std::uint64_t{desc.width} * texel) {
    return fail(ErrorCode::Unsupported,
                std::string(call) + "(" + describe(desc) + "): the device lays the linear image " +
                    "out at offset " + std::to_string(layout.offset) + " with row pitch " +
                    std::to_string(layout.rowPitch) +
                    "; Geyser shares linear images whose rows start at 0, a whole number of "
                    "texels apart");
  }
  return static_cast<std::uint32_t>(layout.rowPitch);
}

std::optional<std::uint32_t> pick_memory_type(const VkPhysicalDeviceMemoryProperties& props,
                                              std::uint32_t allowed) {
  // Device-local first: a shared texture lives on the GPU. Lavapipe's types are all
  // host memory, and any allowed type works there.
  for (VkMemoryPropertyFlags wanted :
       {VkMemoryPropertyFlags{VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT}, VkMemoryPropertyFlags{0}}) {
    for (std::uint32_t i = 0; i < props.memoryTypeCount; ++i) {
      if ((allowed & (1u << i)) && (props.memoryTypes[i].propertyFlags & wanted) == wanted)
        return i;
    }
  }
  return std::nullopt;
}

// The memory service `device` exports with. Unsupported where it can use none (Device
// requires VK_KHR_external_memory_fd today, so opaque fd is always there on Linux).
Result<const detail::ExternalMemoryService*> export_service(const Device& device,
                                                            const char* call) {
  const detail::ExternalMemoryService* service = detail::preferred_memory_service(device);
  if (service == nullptr) {
    return fail(ErrorCode::Unsupported, std::string(call) + ": " + device.name() +
                                            " can use none of this build's external memory "
                                            "handle types");
  }
  return service;
}

}  // namespace

VulkanSharedTexture::~VulkanSharedTexture() {
  const VkDevice device = device_->device();
  if (image_ != VK_NULL_HANDLE) vkDestroyImage(device, image_, nullptr);
  if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device, memory_, nullptr);
}

VulkanSharedTexture* as_vulkan(SharedTexture* texture) noexcept {
  return texture && texture->backend() == Backend::Vulkan
             ? static_cast<VulkanSharedTexture*>(texture)
             : nullptr;
}
const VulkanSharedTexture* as_vulkan(const SharedTexture* texture) noexcept {
  return texture && texture->backend() == Backend::Vulkan
             ? static_cast<const VulkanSharedTexture*>(texture)
             : nullptr;
}

VkImageUsageFlags to_vk_usage(TextureUsage usage) noexcept {
  VkImageUsageFlags out = 0;
  if (has_all(usage, TextureUsage::TransferSrc)) out |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
  if (has_all(usage, TextureUsage::TransferDst)) out |= VK_IMAGE_USAGE_TRANSFER_DST_BIT;
  if (has_all(usage, TextureUsage::Sampled)) out |= VK_IMAGE_USAGE_SAMPLED_BIT;
  if (has_all(usage, TextureUsage::Storage)) out |= VK_IMAGE_USAGE_STORAGE_BIT;
  if (has_all(usage, TextureUsage::ColorAttachment)) out |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
  if (has_all(usage, TextureUsage::DepthStencilAttachment)) {
    out |= VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
  }
  return out;
}

Result<std::unique_ptr<SharedTexture>> VulkanTextureShareManager::create_shareable_texture(
    const TextureDescriptor& desc) {
  GEYSER_TRY(auto texture, create(desc));
  return std::unique_ptr<SharedTexture>(std::move(texture));
}

Result<std::unique_ptr<SharedTexture>> VulkanTextureShareManager::import_texture(
    const TextureShareHandle& handle) {
  GEYSER_TRY(auto texture, import(handle));
  return std::unique_ptr<SharedTexture>(std::move(texture));
}

Result<std::unique_ptr<VulkanSharedTexture>> VulkanTextureShareManager::create(
    const TextureDescriptor& desc, Tiling tiling) {
  GEYSER_TRY_VOID(validate(desc));
  if (tiling == Tiling::Linear) {
    GEYSER_TRY_VOID(check_linear_descriptor(desc, "create_shareable_texture"));
  }
  GEYSER_TRY(const detail::ExternalMemoryService* service,
             export_service(*device_, "create_shareable_texture"));

  const VulkanImageInfo info = detail::shared_image_info(desc, tiling);
  GEYSER_TRY_VOID(detail::check_image_support(
      *device_, desc, info, *service, detail::Direction::Export, "create_shareable_texture"));

  std::unique_ptr<VulkanSharedTexture> texture(
      new VulkanSharedTexture(*device_, desc, info, /*imported=*/false));
  const VkDevice vk_device = device_->device();
  VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
  external.handleTypes = service->vk_handle_type();
  const VkImageCreateInfo image_info = detail::image_create_info(desc, info, &external);
  if (VkResult r = vkCreateImage(vk_device, &image_info, nullptr, &texture->image_);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateImage(" + describe(desc) + ")"));
  }
  if (tiling == Tiling::Linear) {
    GEYSER_TRY(texture->row_pitch_,
               linear_row_pitch(vk_device, texture->image_, desc, "create_shareable_texture"));
  }

  VkMemoryDedicatedRequirements dedicated_reqs{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
  VkMemoryRequirements2 reqs{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, &dedicated_reqs};
  VkImageMemoryRequirementsInfo2 reqs_info{VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2};
  reqs_info.image = texture->image_;
  vkGetImageMemoryRequirements2(vk_device, &reqs_info, &reqs);
  const auto type =
      pick_memory_type(device_->memory_properties(), reqs.memoryRequirements.memoryTypeBits);
  if (!type) {
    return fail(ErrorCode::Unsupported, "create_shareable_texture(" + describe(desc) +
                                            "): no memory type in mask " +
                                            hex32(reqs.memoryRequirements.memoryTypeBits));
  }

  // Always a dedicated allocation (docs/architecture.md, rule 2), so that GL and CUDA can
  // import it as one: GL_DEDICATED_MEMORY_OBJECT_EXT, CUDA_EXTERNAL_MEMORY_DEDICATED.
  VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
  dedicated.image = texture->image_;
  VkExportMemoryAllocateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, &dedicated};
  export_info.handleTypes = service->vk_handle_type();
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &export_info};
  alloc.allocationSize = reqs.memoryRequirements.size;
  alloc.memoryTypeIndex = *type;
  GEYSER_TRY(texture->memory_,
             service->allocate_exportable(*device_, alloc,
                                          "vkAllocateMemory(export, " + describe(desc) + ", " +
                                              std::to_string(alloc.allocationSize) + " bytes)"));
  if (VkResult r = vkBindImageMemory(vk_device, texture->image_, texture->memory_, 0);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkBindImageMemory"));
  }
  texture->info_.allocation_size = alloc.allocationSize;
  texture->info_.memory_type_index = *type;
  return texture;
}

Result<TextureShareHandle> VulkanTextureShareManager::export_texture(const SharedTexture& texture) {
  const VulkanSharedTexture* vk_texture = as_vulkan(&texture);
  if (vk_texture == nullptr) {
    return fail(ErrorCode::Validation, "export_texture: the texture is not a Vulkan texture");
  }
  if (vk_texture->device().device() != device_->device()) {
    return fail(ErrorCode::Validation,
                "export_texture: the texture belongs to another device than this manager's");
  }
  // The same service create() allocated the memory exportable for: the choice depends on
  // the device alone.
  GEYSER_TRY(const detail::ExternalMemoryService* service,
             export_service(*device_, "export_texture"));
  TextureShareHandle handle;
  GEYSER_TRY(handle.os_handle, service->export_memory(*device_, vk_texture->memory()));
  handle.handle_type = service->handle_type();
  handle.identity = device_->identity();
  handle.descriptor = vk_texture->descriptor();
  handle.image = vk_texture->image_info();
  handle.row_pitch = vk_texture->row_pitch();
  return handle;
}

Result<std::unique_ptr<VulkanSharedTexture>> VulkanTextureShareManager::import(
    const TextureShareHandle& handle) {
  // Everything that can be checked without the fd comes first (docs/architecture.md,
  // rules 1 and 3).
  const detail::ExternalMemoryService* service = detail::memory_service(handle.handle_type);
  if (service == nullptr) {
    return fail(ErrorCode::Unsupported, std::string("import_texture: handle type ") +
                                            std::string(to_string(handle.handle_type)) +
                                            " is not available on this platform");
  }
  if (!handle.identity.known()) {
    return fail(ErrorCode::DeviceMismatch,
                "import_texture: the handle's driver or device UUID is all zero (unknown "
                "origin); refusing to import it");
  }
  if (!handle.identity.compatible_with(device_->identity())) {
    return fail(ErrorCode::DeviceMismatch,
                "import_texture: the handle comes from driver " +
                    geyser::to_string(handle.identity.driver_uuid) + " device " +
                    geyser::to_string(handle.identity.device_uuid) + ", this device is driver " +
                    geyser::to_string(device_->identity().driver_uuid) + " device " +
                    geyser::to_string(device_->identity().device_uuid) + " (" + device_->name() +
                    ")");
  }
  const TextureDescriptor& desc = handle.descriptor;
  GEYSER_TRY_VOID(validate(desc));
  const VulkanImageInfo& info = handle.image;
  GEYSER_TRY_VOID(check_image_info(desc, info));
  const Tiling tiling = *detail::tiling_of(info);
  if (tiling == Tiling::Linear) {
    GEYSER_TRY_VOID(check_linear_descriptor(desc, "import_texture"));
    if (handle.row_pitch == 0) {
      return fail(ErrorCode::Validation,
                  "import_texture: VulkanImageInfo::tiling " + std::to_string(info.tiling) +
                      " (VK_IMAGE_TILING_LINEAR) needs the handle's row pitch, which is 0");
    }
  } else if (handle.row_pitch != 0) {
    return fail(ErrorCode::Validation, "import_texture: row pitch " +
                                           std::to_string(handle.row_pitch) +
                                           " on an optimal image, whose layout only its driver "
                                           "knows");
  }
  if (!info.dedicated) {
    return fail(ErrorCode::Unsupported,
                "import_texture: only dedicated allocations are shared (docs/architecture.md, "
                "rule 2)");
  }
  if (info.allocation_size == 0) {
    return fail(ErrorCode::Validation, "import_texture: allocation size is 0");
  }
  GEYSER_TRY_VOID(detail::check_image_support(*device_, desc, info, *service,
                                              detail::Direction::Import, "import_texture"));
  if (!handle.os_handle.valid()) {
    return fail(ErrorCode::Validation, "import_texture: the handle holds no fd");
  }

  std::unique_ptr<VulkanSharedTexture> texture(
      new VulkanSharedTexture(*device_, desc, info, /*imported=*/true));
  const VkDevice vk_device = device_->device();
  VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
  external.handleTypes = service->vk_handle_type();
  const VkImageCreateInfo image_info = detail::image_create_info(desc, info, &external);
  if (VkResult r = vkCreateImage(vk_device, &image_info, nullptr, &texture->image_);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateImage(import " + describe(desc) + ")"));
  }
  if (tiling == Tiling::Linear) {
    GEYSER_TRY(texture->row_pitch_,
               linear_row_pitch(vk_device, texture->image_, desc, "import_texture"));
    if (texture->row_pitch_ != handle.row_pitch) {
      return fail(ErrorCode::Unsupported,
                  "import_texture(" + describe(desc) + "): this device lays the linear image " +
                      "out with row pitch " + std::to_string(texture->row_pitch_) +
                      ", the sender's with " + std::to_string(handle.row_pitch));
    }
  }
  VkMemoryRequirements reqs{};
  vkGetImageMemoryRequirements(vk_device, texture->image_, &reqs);
  if (info.allocation_size < reqs.size) {
    return fail(ErrorCode::Validation, "import_texture: allocation size " +
                                           std::to_string(info.allocation_size) +
                                           " is smaller than the " + std::to_string(reqs.size) +
                                           " bytes " + describe(desc) + " needs");
  }
  if (info.memory_type_index >= device_->memory_properties().memoryTypeCount ||
      (reqs.memoryTypeBits & (1u << info.memory_type_index)) == 0) {
    return fail(ErrorCode::Validation,
                "import_texture: memory type " + std::to_string(info.memory_type_index) +
                    " is not allowed for this image (mask " + hex32(reqs.memoryTypeBits) + ")");
  }

  // Only now look at the fd: refuse what is not a memory handle, then import a duplicate
  // so that the handle keeps its own fd (Vulkan owns the fd only on success).
  GEYSER_TRY_VOID(service->check_handle(handle.os_handle.get(), info.allocation_size));
  GEYSER_TRY(UniqueHandle dup, service->duplicate_for_import(handle.os_handle));
  GEYSER_TRY(texture->memory_,
             service->import_memory(*device_, std::move(dup), texture->image_, info.allocation_size,
                                    info.memory_type_index));
  if (VkResult r = vkBindImageMemory(vk_device, texture->image_, texture->memory_, 0);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkBindImageMemory(import)"));
  }
  // The producer releases every access in the shared layout (docs/architecture.md, rule 4).
  texture->layout_ = static_cast<VkImageLayout>(kSharedImageLayout);
  return texture;
}

}  // namespace geyser::vulkan
