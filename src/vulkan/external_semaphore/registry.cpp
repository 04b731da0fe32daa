// Which semaphore service handles which handle type, and which one a device shares with.
#include <array>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

// Every service this build has, most preferred first: creation and export take the first
// one the device can use. A new handle type adds its service here; each platform has its own
// (its files are in src/CMakeLists.txt's lists).
const std::array<const ExternalSemaphoreService*, 1>& services() noexcept {
  static const std::array<const ExternalSemaphoreService*, 1> list{
#ifdef _WIN32
      &opaque_win32_semaphore_service(),
#else
      &opaque_fd_semaphore_service(),
#endif
  };
  return list;
}

}  // namespace

Result<VkSemaphore> ExternalSemaphoreService::create_exportable(
    const Device& device, const VkSemaphoreCreateInfo& info) const {
  VkSemaphore semaphore = VK_NULL_HANDLE;
  if (VkResult r = vkCreateSemaphore(device.device(), &info, nullptr, &semaphore);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateSemaphore"));
  }
  return semaphore;
}

const ExternalSemaphoreService* semaphore_service(SemaphoreHandleType type) noexcept {
  for (const ExternalSemaphoreService* service : services()) {
    if (service->handle_type() == type) return service;
  }
  return nullptr;
}

const ExternalSemaphoreService* preferred_semaphore_service(const Device& device) noexcept {
  for (const ExternalSemaphoreService* service : services()) {
    if (service->available(device)) return service;
  }
  return nullptr;
}

std::span<const ExternalSemaphoreService* const> semaphore_services() noexcept {
  return services();
}

}  // namespace geyser::vulkan::detail
