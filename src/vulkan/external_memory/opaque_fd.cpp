// VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT: Linux opaque file descriptors
// (VK_KHR_external_memory_fd). The handles here are POSIX fds.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

class OpaqueFdMemoryService final : public ExternalMemoryService {
 public:
  MemoryHandleType handle_type() const noexcept override { return MemoryHandleType::OpaqueFd; }
  VkExternalMemoryHandleTypeFlagBits vk_handle_type() const noexcept override {
    return VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  }
  std::string_view description() const noexcept override { return "an opaque fd"; }
  bool available(const Device& device) const noexcept override {
    // Device loads vkGetMemoryFdKHR only from a device with VK_KHR_external_memory_fd.
    return device.functions().get_memory_fd != nullptr;
  }

  Result<UniqueHandle> export_memory(const Device& device, VkDeviceMemory memory) const override {
    VkMemoryGetFdInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
    info.memory = memory;
    info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    if (VkResult r = device.functions().get_memory_fd(device.device(), &info, &fd);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkGetMemoryFdKHR(OPAQUE_FD)"));
    }
    UniqueHandle owned(fd);
    // Drivers are not required to set FD_CLOEXEC; a handle must not leak into children.
    const int flags = fcntl(owned.get(), F_GETFD);
    if (flags >= 0) fcntl(owned.get(), F_SETFD, flags | FD_CLOEXEC);
    return owned;
  }

  Result<void> check_handle(NativeHandle fd, VkDeviceSize allocation_size) const override {
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
      return fail(Error::from_errno(
          ErrorCode::Validation,
          "import_texture: fd " + std::to_string(fd) + " is not an open file descriptor",
          fd < 0 ? EBADF : errno));
    }
    // Opaque memory fds are memfds, anonymous inodes or device files, never pipes, sockets
    // or directories. Mesa's lavapipe read()s the fd during import, which would block
    // forever on a pipe whose writer is alive: refuse those before the driver sees them.
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::Validation, "import_texture: fd " + std::to_string(fd) + " is a " +
                                             (S_ISFIFO(st.st_mode)   ? "pipe"
                                              : S_ISSOCK(st.st_mode) ? "socket"
                                                                     : "directory") +
                                             ", not an exported memory handle");
    }
    // Drivers export memory as memfds (lavapipe) or device files (NVIDIA), never as files
    // with a name on a filesystem. NVIDIA answers such a file with OUT_OF_DEVICE_MEMORY,
    // which would misname the problem: refuse it here.
    if (S_ISREG(st.st_mode)) {
      char target[64] = {};
      const std::string link = "/proc/self/fd/" + std::to_string(fd);
      const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
      if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)).rfind("/memfd:", 0) != 0) {
        return fail(ErrorCode::Validation, "import_texture: fd " + std::to_string(fd) +
                                               " is a regular file, not an exported memory "
                                               "handle (those are memfds or device files)");
      }
    }
    // A regular file (a memfd is one) holds the memory itself: it must be large enough.
    // Drivers whose fds are device files report no size; the driver checks those.
    if (S_ISREG(st.st_mode) && static_cast<VkDeviceSize>(st.st_size) < allocation_size) {
      return fail(ErrorCode::Validation, "import_texture: fd " + std::to_string(fd) + " holds " +
                                             std::to_string(st.st_size) +
                                             " bytes, less than the allocation size " +
                                             std::to_string(allocation_size));
    }
    return {};
  }

  Result<UniqueHandle> duplicate_for_import(const UniqueHandle& fd) const override {
    // Lavapipe's opaque fds are memfds, and its import lseek()s to 0 and read()s a header.
    // dup() and SCM_RIGHTS share one file offset between every holder, so importers in two
    // processes at once could read each other's position (seen with 8 receivers joining
    // together). Reopening the memfd through /proc gives this import its own offset. Device
    // files (NVIDIA) must not be reopened: that would open the device anew.
    struct stat st {};
    if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
      const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
      UniqueHandle reopened(::open(path.c_str(), O_RDWR | O_CLOEXEC));
      if (reopened) return reopened;
    }
    return fd.duplicate();
  }

  Result<VkDeviceMemory> import_memory(const Device& device, UniqueHandle fd, VkImage image,
                                       VkDeviceSize size,
                                       std::uint32_t memory_type) const override {
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.image = image;
    VkImportMemoryFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR, &dedicated};
    import.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    import.fd = fd.get();
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &import};
    alloc.allocationSize = size;
    alloc.memoryTypeIndex = memory_type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (VkResult r = vkAllocateMemory(device.device(), &alloc, nullptr, &memory); r != VK_SUCCESS) {
      // The driver took no ownership: `fd` closes here (VUID-VkImportMemoryFdInfoKHR).
      return tl::unexpected(vk_error(r, "vkAllocateMemory(import OPAQUE_FD, " +
                                            std::to_string(size) + " bytes, memory type " +
                                            std::to_string(memory_type) + ")"));
    }
    // On success the driver owns the fd.
    (void)fd.release();
    return memory;
  }
};

}  // namespace

const ExternalMemoryService& opaque_fd_memory_service() noexcept {
  static const OpaqueFdMemoryService service;
  return service;
}

}  // namespace geyser::vulkan::detail
