// VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT: Linux opaque file descriptors
// (VK_KHR_external_semaphore_fd). The handles here are POSIX fds.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "service.hpp"

namespace geyser::vulkan::detail {
namespace {

class OpaqueFdSemaphoreService final : public ExternalSemaphoreService {
 public:
  SemaphoreHandleType handle_type() const noexcept override {
    return SemaphoreHandleType::OpaqueFd;
  }
  VkExternalSemaphoreHandleTypeFlagBits vk_handle_type() const noexcept override {
    return VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  }
  std::string_view description() const noexcept override { return "an opaque fd"; }
  std::string_view extension_name() const noexcept override {
    return VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME;
  }
  bool available(const Device& device) const noexcept override {
    // True only with the extension enabled and both entry points loaded.
    return device.has_semaphore_fd();
  }

  Result<UniqueHandle> export_semaphore(const Device& device,
                                        VkSemaphore semaphore) const override {
    VkSemaphoreGetFdInfoKHR info{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
    info.semaphore = semaphore;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    if (VkResult r = device.functions().get_semaphore_fd(device.device(), &info, &fd);
        r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkGetSemaphoreFdKHR(OPAQUE_FD)"));
    }
    UniqueHandle owned(fd);
    // Drivers are not required to set FD_CLOEXEC; a handle must not leak into children.
    const int flags = fcntl(owned.get(), F_GETFD);
    if (flags >= 0) fcntl(owned.get(), F_SETFD, flags | FD_CLOEXEC);
    return owned;
  }

  Result<void> check_handle(NativeHandle fd) const override {
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
      return fail(Error::from_errno(
          ErrorCode::Validation,
          "import_semaphore: fd " + std::to_string(fd) + " is not an open file descriptor",
          fd < 0 ? EBADF : errno));
    }
    // Opaque semaphore fds are anonymous inodes or device files (NVIDIA), never pipes,
    // sockets or directories; a driver that read() one could block on it.
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::Validation,
                  "import_semaphore: fd " + std::to_string(fd) + " is a pipe, socket or directory");
    }
    // Nor regular files: a memfd is memory (a cpu-mode CpuTimeline, a texture), not a
    // semaphore payload, and what a driver makes of one is undefined. Only S_ISREG is
    // refused: device files and anonymous inodes are what drivers export.
    if (S_ISREG(st.st_mode)) {
      return fail(ErrorCode::Validation, "import_semaphore: fd " + std::to_string(fd) +
                                             " is a regular file (a memfd or a file), not a "
                                             "semaphore handle");
    }
    return {};
  }

  Result<void> import_semaphore(const Device& device, VkSemaphore semaphore,
                                UniqueHandle fd) const override {
    VkImportSemaphoreFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR};
    import.semaphore = semaphore;
    import.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    import.fd = fd.get();
    if (VkResult r = device.functions().import_semaphore_fd(device.device(), &import);
        r != VK_SUCCESS) {
      // The driver took no ownership: `fd` closes here.
      return tl::unexpected(vk_error(r, "vkImportSemaphoreFdKHR(OPAQUE_FD)"));
    }
    // On success the driver owns the fd (VkImportSemaphoreFdInfoKHR: "Importing a semaphore
    // payload from a file descriptor transfers ownership of the file descriptor").
    (void)fd.release();
    return {};
  }
};

}  // namespace

const ExternalSemaphoreService& opaque_fd_semaphore_service() noexcept {
  static const OpaqueFdSemaphoreService service;
  return service;
}

}  // namespace geyser::vulkan::detail
