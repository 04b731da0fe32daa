// VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT: Windows NT handles
// (VK_KHR_external_semaphore_win32). The handles here are HANDLEs, owned by UniqueHandle.
#include <windows.h>

#include <string>

#include "../win32_object.hpp"
#include "geyser/win32_security.hpp"
#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

class OpaqueWin32SemaphoreService final : public ExternalSemaphoreService {
 public:
  SemaphoreHandleType handle_type() const noexcept override {
    return SemaphoreHandleType::OpaqueWin32;
  }
  VkExternalSemaphoreHandleTypeFlagBits vk_handle_type() const noexcept override {
    return VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT;
  }
  std::string_view description() const noexcept override { return "an opaque Win32 handle"; }
  std::string_view extension_name() const noexcept override {
    return VK_KHR_EXTERNAL_SEMAPHORE_WIN32_EXTENSION_NAME;
  }
  bool available(const Device& device) const noexcept override {
    // True only with the extension enabled and both entry points loaded.
    return device.has_semaphore_win32();
  }

  Result<VkSemaphore> create_exportable(const Device& device,
                                        const VkSemaphoreCreateInfo& info) const override {
    // As for memory (opaque_win32.cpp in external_memory/): the handle's security is fixed at
    // creation, and the driver's default would let SYSTEM and the administrators open it.
    // Our user alone may, with everything a semaphore handle allows (wait and signal).
    GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create(GENERIC_ALL));
    VkExportSemaphoreWin32HandleInfoKHR win32_info{
        VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR, info.pNext};
    win32_info.pAttributes = security.attributes();
    win32_info.dwAccess = GENERIC_ALL;
    win32_info.name = nullptr;  // unnamed: no other process can open it by name
    VkSemaphoreCreateInfo chained = info;
    chained.pNext = &win32_info;
    VkSemaphore semaphore = VK_NULL_HANDLE;
    if (VkResult r = vkCreateSemaphore(device.device(), &chained, nullptr, &semaphore);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkCreateSemaphore(export OPAQUE_WIN32)"));
    }
    return semaphore;
  }

  Result<UniqueHandle> export_semaphore(const Device& device,
                                        VkSemaphore semaphore) const override {
    VkSemaphoreGetWin32HandleInfoKHR info{VK_STRUCTURE_TYPE_SEMAPHORE_GET_WIN32_HANDLE_INFO_KHR};
    info.semaphore = semaphore;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT;
    HANDLE handle = nullptr;
    if (VkResult r = device.functions().get_semaphore_win32_handle(device.device(), &info, &handle);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkGetSemaphoreWin32HandleKHR(OPAQUE_WIN32)"));
    }
    // A new NT handle each call, which the application must close (CloseHandle).
    UniqueHandle owned(handle);
    if (!owned) {
      return fail(ErrorCode::Internal,
                  "vkGetSemaphoreWin32HandleKHR(OPAQUE_WIN32) succeeded "
                  "but returned no handle");
    }
    return owned;
  }

  Result<void> check_handle(NativeHandle handle) const override {
    GEYSER_TRY(const std::string type,
               win32_object_type(handle, "import_semaphore", "a semaphore handle"));
    if (!could_be_semaphore(type)) {
      return fail(ErrorCode::Validation, "import_semaphore: handle " + win32_handle_text(handle) +
                                             " is a " + type + " object, not a semaphore handle");
    }
    return {};
  }

  Result<void> import_semaphore(const Device& device, VkSemaphore semaphore,
                                UniqueHandle handle) const override {
    VkImportSemaphoreWin32HandleInfoKHR import{
        VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_WIN32_HANDLE_INFO_KHR};
    import.semaphore = semaphore;
    import.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT;
    import.handle = handle.get();
    const VkResult r = device.functions().import_semaphore_win32_handle(device.device(), &import);
    // Unlike an fd, a Win32 handle stays the application's either way
    // (VkImportSemaphoreWin32HandleInfoKHR: "Importing a semaphore payload from Windows
    // handles does not transfer ownership of the handle to the Vulkan implementation"):
    // `handle` closes here on success too.
    if (r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkImportSemaphoreWin32HandleKHR(OPAQUE_WIN32)"));
    }
    return {};
  }
};

}  // namespace

const ExternalSemaphoreService& opaque_win32_semaphore_service() noexcept {
  static const OpaqueWin32SemaphoreService service;
  return service;
}

}  // namespace geyser::vulkan::detail
