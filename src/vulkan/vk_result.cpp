// VkResult names and their mapping to Geyser error codes.
#include <string>

#include "geyser/vulkan/device.hpp"

namespace geyser::vulkan {

std::string_view to_string(VkResult result) noexcept {
  switch (result) {
#define GEYSER_VK_CASE(x) \
  case x: return #x;
    GEYSER_VK_CASE(VK_SUCCESS)
    GEYSER_VK_CASE(VK_NOT_READY)
    GEYSER_VK_CASE(VK_TIMEOUT)
    GEYSER_VK_CASE(VK_EVENT_SET)
    GEYSER_VK_CASE(VK_EVENT_RESET)
    GEYSER_VK_CASE(VK_INCOMPLETE)
    GEYSER_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    GEYSER_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    GEYSER_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    GEYSER_VK_CASE(VK_ERROR_DEVICE_LOST)
    GEYSER_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    GEYSER_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    GEYSER_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    GEYSER_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    GEYSER_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    GEYSER_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    GEYSER_VK_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    GEYSER_VK_CASE(VK_ERROR_FRAGMENTED_POOL)
    GEYSER_VK_CASE(VK_ERROR_UNKNOWN)
    GEYSER_VK_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    GEYSER_VK_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    GEYSER_VK_CASE(VK_ERROR_FRAGMENTATION)
    GEYSER_VK_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
#undef GEYSER_VK_CASE
    default: return "VkResult(unknown)";
  }
}

Error vk_error(VkResult result, std::string call) {
  ErrorCode code = ErrorCode::Internal;
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTATION:
    case VK_ERROR_TOO_MANY_OBJECTS: code = ErrorCode::OutOfMemory; break;
    case VK_ERROR_DEVICE_LOST: code = ErrorCode::DeviceLost; break;
    case VK_ERROR_INVALID_EXTERNAL_HANDLE: code = ErrorCode::Validation; break;
    case VK_ERROR_FORMAT_NOT_SUPPORTED:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_INCOMPATIBLE_DRIVER: code = ErrorCode::Unsupported; break;
    case VK_TIMEOUT: code = ErrorCode::Timeout; break;
    default: break;
  }
  std::string message = std::move(call);
  message += " failed: ";
  message += to_string(result);
  return Error(code, std::move(message), NativeDomain::VkResult, static_cast<std::int64_t>(result));
}

}  // namespace geyser::vulkan
