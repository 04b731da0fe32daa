// Which memory service handles which handle type, and which one a device exports with.
#include <array>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

// Every service this build has, most preferred first: export takes the first one the
// device can use. A new handle type adds its service here.
const std::array<const ExternalMemoryService*, 1>& services() noexcept {
  static const std::array<const ExternalMemoryService*, 1> list{&opaque_fd_memory_service()};
  return list;
}

}  // namespace

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
