// Which memory service handles which handle type, and which one a device exports with.
#include <array>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

// Every service this build has, most preferred first: export takes the first one the
// device can use. A new handle type adds its service here; each platform has its own
// (its files are in src/CMakeLists.txt's lists).
const std::array<const ExternalMemoryService*, 1>& services() noexcept {
  static const std::array<const ExternalMemoryService*, 1> list{
#ifdef _WIN32
      &opaque_win32_memory_service(),
#else
      &opaque_fd_memory_service(),
#endif
  };
  return list;
}

}  // namespace

Result<VkDeviceMemory> ExternalMemoryService::allocate_exportable(const Device& device,
                                                                  const VkMemoryAllocateInfo& info,
                                                                  const std::string& what) const {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateMemory(device.device(), &info, nullptr, &memory); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, what));
  }
  return memory;
}

const ExternalMemoryService* memory_service(MemoryHandleType type) noexcept {
  for (const ExternalMemoryService* service : services()) {
    if (service->handle_type() == type) return service;
  }
  return nullptr;
}

const ExternalMemoryService* preferred_memory_service(const Device& device) noexcept {
  for (const ExternalMemoryService* service : services()) {
    if (service->available(device)) return service;
  }
  return nullptr;
}

}  // namespace geyser::vulkan::detail
