// VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT: Linux opaque file descriptors
// (VK_KHR_external_memory_fd). The handles here are POSIX fds.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

// "0x7".
std::string hex(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(v));
  return buf;
}

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
    // Receivers map a memfd and refuse one that could shrink under the mapping.
    GEYSER_TRY_VOID(seal_exported_memfd(owned.get()));
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
    // The kernel's memory devices (major 1: /dev/null, /dev/zero, /dev/mem, /dev/random...)
    // are never a driver's memory handle. NVIDIA answers /dev/null with
    // OUT_OF_DEVICE_MEMORY and lavapipe with INVALID_EXTERNAL_HANDLE: refuse it here, by one
    // name on every driver.
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1) {
      return fail(ErrorCode::Validation, "import_texture: fd " + std::to_string(fd) +
                                             " is one of the kernel's memory devices (such as "
                                             "/dev/null), not an exported memory handle");
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
    // Drivers whose fds are device files report no size and take no seals; the driver
    // checks those.
    if (!S_ISREG(st.st_mode)) return {};
    // A memfd holds the memory itself, and the driver maps it (lavapipe: mmap MAP_SHARED). If
    // its sender could ftruncate it later, every access past the new end would raise SIGBUS
    // in this process: it must be sealed against shrinking. Seals are never removed, so one
    // seen now holds for the mapping's life.
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0) {
      const int err = errno;
      return fail(Error::from_errno(ErrorCode::Validation,
                                    "import_texture: fd " + std::to_string(fd) +
                                        " is a regular file that takes no seals (F_GET_SEALS), "
                                        "so nothing stops its sender truncating it (F_SEAL_SHRINK)",
                                    err));
    }
    if ((seals & F_SEAL_SHRINK) == 0) {
      return fail(ErrorCode::Validation,
                  "import_texture: fd " + std::to_string(fd) + " is a memfd with seals " +
                      hex(seals) +
                      ", without F_SEAL_SHRINK: its sender could truncate it under the mapping");
    }
    // It must be large enough. Its size is read after the seal was seen: until then it could
    // still have shrunk.
    if (fstat(fd, &st) != 0) {
      const int err = errno;
      return fail(Error::from_errno(ErrorCode::Validation,
                                    "import_texture: fstat of fd " + std::to_string(fd), err));
    }
    if (static_cast<VkDeviceSize>(st.st_size) < allocation_size) {
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
    //
    // The reopen keeps the received fd's access mode (F_GETFL & O_ACCMODE): opening
    // /proc/self/fd/N checks the memfd's inode permissions, not the fd's, so asking for
    // O_RDWR would turn a read-only fd into a writable one. An O_PATH fd grants no access at
    // all and is only duplicated (the driver's read of it then fails).
    struct stat st {};
    const int status = fcntl(fd.get(), F_GETFL);
    if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && status >= 0 && (status & O_PATH) == 0) {
      const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
      UniqueHandle reopened(::open(path.c_str(), (status & O_ACCMODE) | O_CLOEXEC));
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

Result<void> seal_exported_memfd(NativeHandle fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    return fail(Error::from_errno(ErrorCode::Internal,
                                  "vkGetMemoryFdKHR(OPAQUE_FD): fstat of fd " + std::to_string(fd),
                                  err));
  }
  // Device files (NVIDIA) have no size of their own to shrink: the driver owns the memory.
  if (!S_ISREG(st.st_mode)) return {};
  // Lavapipe seals its memfds itself (os_malloc_aligned_fd in Mesa's src/util/os_memory_fd.c
  // adds F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL; F_GET_SEALS reads 0x7 on Mesa 22.3), so
  // there this finds both seals and adds nothing. Neither seal limits the driver: a
  // VkDeviceMemory never changes size.
  constexpr int kSeals = F_SEAL_SHRINK | F_SEAL_GROW;
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) return {};
  if (seals < 0 || fcntl(fd, F_ADD_SEALS, kSeals & ~seals) != 0) {
    // EPERM: made without MFD_ALLOW_SEALING, or F_SEAL_SEAL is set. Every receiver would
    // refuse it (check_handle), so say so here rather than send it.
    const int err = errno;
    return fail(Error::from_errno(
        ErrorCode::Unsupported,
        "vkGetMemoryFdKHR(OPAQUE_FD) gave memfd " + std::to_string(fd) +
            " that cannot be sealed against resizing (seals " +
            (seals < 0 ? std::string("unknown") : hex(seals)) +
            ", F_ADD_SEALS F_SEAL_SHRINK|F_SEAL_GROW); receivers refuse memfds without "
            "F_SEAL_SHRINK, so it is not exported",
        err));
  }
  return {};
}

const ExternalMemoryService& opaque_fd_memory_service() noexcept {
  static const OpaqueFdMemoryService service;
  return service;
}

}  // namespace geyser::vulkan::detail
