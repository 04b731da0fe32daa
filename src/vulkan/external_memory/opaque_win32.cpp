// VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT: Windows NT handles
// (VK_KHR_external_memory_win32). The handles here are HANDLEs, owned by UniqueHandle.
#include <windows.h>

#include <string>

#include "../win32_object.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"
#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

class OpaqueWin32MemoryService final : public ExternalMemoryService {
 public:
  MemoryHandleType handle_type() const noexcept override { return MemoryHandleType::OpaqueWin32; }
  VkExternalMemoryHandleTypeFlagBits vk_handle_type() const noexcept override {
    return VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT;
  }
  std::string_view description() const noexcept override { return "an opaque Win32 handle"; }
  bool available(const Device& device) const noexcept override {
    // Device loads vkGetMemoryWin32HandleKHR only from a device with
    // VK_KHR_external_memory_win32.
    return device.functions().get_memory_win32_handle != nullptr;
  }

  Result<VkDeviceMemory> allocate_exportable(const Device& device, const VkMemoryAllocateInfo& info,
                                             const std::string& what) const override {
    // The handle's security is fixed when the memory is allocated: without this structure
    // the driver uses a default descriptor (VkExportMemoryWin32HandleInfoKHR: "the
    // implementation will ensure the handle has default security attributes"), which on
    // Windows lets SYSTEM and the administrators open it too. Our user alone may; the
    // handle is never inheritable. GENERIC_ALL: the spec's alternative, DXGI_SHARED_RESOURCE_
    // READ | WRITE, is what the driver's default grants, and importers need both (they write
    // the image as well as read it: a receiver's layout transitions, a sender's renders).
    GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create(GENERIC_ALL));
    VkExportMemoryWin32HandleInfoKHR win32_info{
        VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_KHR, info.pNext};
    win32_info.pAttributes = security.attributes();
    win32_info.dwAccess = GENERIC_ALL;
    win32_info.name = nullptr;  // unnamed: no other process can open it by name
    VkMemoryAllocateInfo chained = info;
    chained.pNext = &win32_info;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (VkResult r = vkAllocateMemory(device.device(), &chained, nullptr, &memory);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, what));
    }
    return memory;
  }

  Result<UniqueHandle> export_memory(const Device& device, VkDeviceMemory memory) const override {
    VkMemoryGetWin32HandleInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_WIN32_HANDLE_INFO_KHR};
    info.memory = memory;
    info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT;
    HANDLE handle = nullptr;
    if (VkResult r = device.functions().get_memory_win32_handle(device.device(), &info, &handle);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkGetMemoryWin32HandleKHR(OPAQUE_WIN32)"));
    }
    // A new NT handle each call, which the application must close (CloseHandle).
    UniqueHandle owned(handle);
    if (!owned) {
      return fail(ErrorCode::Internal,
                  "vkGetMemoryWin32HandleKHR(OPAQUE_WIN32) succeeded "
                  "but returned no handle");
    }
    return owned;
  }

  Result<void> check_handle(NativeHandle handle, VkDeviceSize allocation_size) const override {
    GEYSER_TRY(const std::string type,
               win32_object_type(handle, "import_texture", "an exported memory handle"));
    // What each driver exports is its own (a section where memory is host memory, a
    // shared-resource object on WDDM drivers), so only what is never memory is refused:
    // a driver handed an event, a pipe or a process would at best fail, at worst act on it.
    if (!could_be_memory(type)) {
      return fail(ErrorCode::Validation, "import_texture: handle " + win32_handle_text(handle) +
                                             " is a " + type +
                                             " object, not an exported memory handle");
    }
    // A section holds the memory itself: it must be large enough. Sections never change size,
    // so what is seen now holds for the mapping's life.
    if (type == "Section") {
      const auto size = section_size(handle);
      if (size && *size < allocation_size) {
        return fail(ErrorCode::Validation, "import_texture: handle " + win32_handle_text(handle) +
                                               " is a section of " + std::to_string(*size) +
                                               " bytes, less than the allocation size " +
                                               std::to_string(allocation_size));
      }
    }
    return {};
  }

  Result<UniqueHandle> duplicate_for_import(const UniqueHandle& handle) const override {
    // A duplicate names the same object; an NT handle has no file offset to share.
    return handle.duplicate();
  }

  Result<VkDeviceMemory> import_memory(const Device& device, UniqueHandle handle, VkImage image,
                                       VkDeviceSize size,
                                       std::uint32_t memory_type) const override {
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.image = image;
    VkImportMemoryWin32HandleInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_KHR,
                                            &dedicated};
    import.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT;
    import.handle = handle.get();
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &import};
    alloc.allocationSize = size;
    alloc.memoryTypeIndex = memory_type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    const VkResult r = vkAllocateMemory(device.device(), &alloc, nullptr, &memory);
    // Unlike an fd, a Win32 handle stays the application's whether the import succeeds or
    // not (VkImportMemoryWin32HandleInfoKHR: "Importing memory object payloads from Windows
    // handles does not transfer ownership of the handle to the Vulkan implementation"), and
    // the memory keeps its own reference to the object: `handle` closes here either way.
    if (r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkAllocateMemory(import OPAQUE_WIN32, " +
                                            std::to_string(size) + " bytes, memory type " +
                                            std::to_string(memory_type) + ")"));
    }
    return memory;
  }
};

}  // namespace

const ExternalMemoryService& opaque_win32_memory_service() noexcept {
  static const OpaqueWin32MemoryService service;
  return service;
}

}  // namespace geyser::vulkan::detail
