// The staging buffer of host copies.
#include "staging_buffer.hpp"

#include <string>

namespace geyser::vulkan::detail {
namespace {

// The first memory type of `bits` that is host-visible and coherent; count when none is.
std::uint32_t host_coherent_type(const VkPhysicalDeviceMemoryProperties& props,
                                 std::uint32_t bits) {
  const VkMemoryPropertyFlags wanted =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (std::uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    if ((bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & wanted) == wanted) return i;
  }
  return props.memoryTypeCount;
}

}  // namespace

StagingBuffer::~StagingBuffer() {
  if (leaked_) return;  // still in use by a submission that never finished
  if (mapped_ != nullptr) vkUnmapMemory(device_, memory_);
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);
}

Result<void> StagingBuffer::init(const Device& device, VkDeviceSize size,
                                 VkBufferUsageFlags usage) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = vkCreateBuffer(device_, &info, nullptr, &buffer_); r != VK_SUCCESS) {
    return tl::unexpected(
        vk_error(r, "vkCreateBuffer(staging, " + std::to_string(size) + " bytes)"));
  }
  VkMemoryRequirements reqs{};
  vkGetBufferMemoryRequirements(device_, buffer_, &reqs);
  const auto& props = device.memory_properties();
  const std::uint32_t type = host_coherent_type(props, reqs.memoryTypeBits);
  if (type == props.memoryTypeCount) {
    return fail(ErrorCode::Unsupported, "staging buffer: no host-visible coherent memory type");
  }
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = reqs.size;
  alloc.memoryTypeIndex = type;
  if (VkResult r = vkAllocateMemory(device_, &alloc, nullptr, &memory_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkAllocateMemory(staging)"));
  }
  if (VkResult r = vkBindBufferMemory(device_, buffer_, memory_, 0); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkBindBufferMemory(staging)"));
  }
  if (VkResult r = vkMapMemory(device_, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkMapMemory(staging)"));
  }
  size_ = size;
  return {};
}

}  // namespace geyser::vulkan::detail
