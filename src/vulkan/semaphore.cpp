// Shared semaphores on Vulkan: VK_KHR_external_semaphore_fd with OPAQUE_FD handles.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan {
namespace {

constexpr VkExternalSemaphoreHandleTypeFlagBits kHandleType =
    VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;

Result<void> require_timeline(const VulkanSharedSemaphore& s, const char* call) {
  if (s.type() != SemaphoreType::Timeline) {
    return fail(ErrorCode::Validation, std::string(call) + ": not a timeline semaphore");
  }
  return {};
}

}  // namespace

VulkanSharedSemaphore::~VulkanSharedSemaphore() {
  if (semaphore_ != VK_NULL_HANDLE) vkDestroySemaphore(device_->device(), semaphore_, nullptr);
}

const VulkanSharedSemaphore* as_vulkan(const SharedSemaphore* semaphore) noexcept {
  return semaphore && semaphore->backend() == Backend::Vulkan
             ? static_cast<const VulkanSharedSemaphore*>(semaphore)
             : nullptr;
}

Result<std::uint64_t> VulkanSharedSemaphore::value() const {
  GEYSER_TRY_VOID(require_timeline(*this, "VulkanSharedSemaphore::value"));
  std::uint64_t v = 0;
  if (VkResult r = vkGetSemaphoreCounterValue(device_->device(), semaphore_, &v); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkGetSemaphoreCounterValue"));
  }
  return v;
}

Result<void> VulkanSharedSemaphore::wait(std::uint64_t value, std::uint64_t timeout_ns) const {
  GEYSER_TRY_VOID(require_timeline(*this, "VulkanSharedSemaphore::wait"));
  VkSemaphoreWaitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
  info.semaphoreCount = 1;
  info.pSemaphores = &semaphore_;
  info.pValues = &value;
  const VkResult r = vkWaitSemaphores(device_->device(), &info, timeout_ns);
  if (r == VK_TIMEOUT) {
    return fail(Error(ErrorCode::Timeout,
                      "vkWaitSemaphores: value " + std::to_string(value) + " not reached within " +
                          std::to_string(timeout_ns / 1000000) + " ms",
                      NativeDomain::VkResult, r));
  }
  if (r != VK_SUCCESS) return tl::unexpected(vk_error(r, "vkWaitSemaphores"));
  return {};
}

Result<void> VulkanSharedSemaphore::signal(std::uint64_t value) const {
  GEYSER_TRY_VOID(require_timeline(*this, "VulkanSharedSemaphore::signal"));
  GEYSER_TRY(const std::uint64_t current, this->value());
  if (value <= current) {
    return fail(ErrorCode::Validation, "VulkanSharedSemaphore::signal: value " +
                                           std::to_string(value) + " is not above the current " +
                                           std::to_string(current));
  }
  VkSemaphoreSignalInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO};
  info.semaphore = semaphore_;
  info.value = value;
  if (VkResult r = vkSignalSemaphore(device_->device(), &info); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkSignalSemaphore"));
  }
  return {};
}

SemaphoreCapability VulkanTextureShareManager::query_semaphore(SemaphoreType type) const {
  SemaphoreCapability cap;
  cap.type = type;
  if (!device_->has_semaphore_fd()) return cap;
  VkSemaphoreTypeCreateInfo type_info{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type_info.semaphoreType =
      type == SemaphoreType::Timeline ? VK_SEMAPHORE_TYPE_TIMELINE : VK_SEMAPHORE_TYPE_BINARY;
  VkPhysicalDeviceExternalSemaphoreInfo info{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO, &type_info};
  info.handleType = kHandleType;
  VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
  vkGetPhysicalDeviceExternalSemaphoreProperties(device_->physical_device(), &info, &props);
  cap.exportable =
      (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
  cap.importable =
      (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0;
  return cap;
}

SyncCapabilities VulkanTextureShareManager::sync_capabilities() const {
  const SemaphoreCapability timeline = query_semaphore(SemaphoreType::Timeline);
  return SyncCapabilities{timeline.exportable, timeline.importable};
}

Result<std::unique_ptr<SharedSemaphore>> VulkanTextureShareManager::create_shared_semaphore(
    SemaphoreType type) {
  GEYSER_TRY(auto semaphore, create_vk_semaphore(type));
  return std::unique_ptr<SharedSemaphore>(std::move(semaphore));
}

Result<std::unique_ptr<SharedSemaphore>> VulkanTextureShareManager::import_semaphore(
    const SemaphoreShareHandle& handle) {
  GEYSER_TRY(auto semaphore, import_vk_semaphore(handle));
  return std::unique_ptr<SharedSemaphore>(std::move(semaphore));
}

namespace {

Result<VkSemaphore> make_semaphore(const Device& device, SemaphoreType type, bool exportable) {
  VkExportSemaphoreCreateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
  export_info.handleTypes = kHandleType;
  VkSemaphoreTypeCreateInfo type_info{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      exportable ? &export_info : nullptr};
  type_info.semaphoreType =
      type == SemaphoreType::Timeline ? VK_SEMAPHORE_TYPE_TIMELINE : VK_SEMAPHORE_TYPE_BINARY;
  type_info.initialValue = 0;
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type_info};
  VkSemaphore semaphore = VK_NULL_HANDLE;
  if (VkResult r = vkCreateSemaphore(device.device(), &info, nullptr, &semaphore);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateSemaphore"));
  }
  return semaphore;
}

}  // namespace

Result<std::unique_ptr<VulkanSharedSemaphore>> VulkanTextureShareManager::create_vk_semaphore(
    SemaphoreType type) {
  const SemaphoreCapability cap = query_semaphore(type);
  if (!cap.exportable) {
    return fail(ErrorCode::Unsupported,
                "create_shared_semaphore(" + std::string(to_string(type)) +
                    "): " + device_->name() + " cannot export this semaphore type as an opaque fd" +
                    (device_->has_semaphore_fd() ? "" : " (no VK_KHR_external_semaphore_fd)"));
  }
  std::unique_ptr<VulkanSharedSemaphore> semaphore(
      new VulkanSharedSemaphore(*device_, type, /*imported=*/false));
  GEYSER_TRY(semaphore->semaphore_, make_semaphore(*device_, type, true));
  return semaphore;
}

Result<SemaphoreShareHandle> VulkanTextureShareManager::export_semaphore(
    const SharedSemaphore& semaphore) {
  const VulkanSharedSemaphore* vk = as_vulkan(&semaphore);
  if (vk == nullptr || vk->device().device() != device_->device()) {
    return fail(
        ErrorCode::Validation,
        "export_semaphore: the semaphore is not a Vulkan semaphore of this manager's device");
  }
  VkSemaphoreGetFdInfoKHR info{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
  info.semaphore = vk->semaphore();
  info.handleType = kHandleType;
  int fd = -1;
  if (VkResult r = device_->functions().get_semaphore_fd(device_->device(), &info, &fd);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkGetSemaphoreFdKHR(OPAQUE_FD)"));
  }
  SemaphoreShareHandle handle;
  handle.os_handle = UniqueFd(fd);
  const int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  handle.type = vk->type();
  handle.identity = device_->identity();
  return handle;
}

Result<std::unique_ptr<VulkanSharedSemaphore>> VulkanTextureShareManager::import_vk_semaphore(
    const SemaphoreShareHandle& handle) {
  if (!handle.identity.compatible_with(device_->identity())) {
    return fail(ErrorCode::DeviceMismatch,
                "import_semaphore: the handle comes from driver " +
                    geyser::to_string(handle.identity.driver_uuid) + " device " +
                    geyser::to_string(handle.identity.device_uuid) +
                    (handle.identity.known() ? "" : " (unknown origin)") + ", this device is " +
                    device_->name());
  }
  const SemaphoreCapability cap = query_semaphore(handle.type);
  if (!cap.importable) {
    return fail(ErrorCode::Unsupported, "import_semaphore(" + std::string(to_string(handle.type)) +
                                            "): " + device_->name() +
                                            " cannot import this semaphore type as an opaque fd");
  }
  struct stat st {};
  if (!handle.os_handle || fstat(handle.os_handle.get(), &st) != 0) {
    return fail(Error::from_errno(ErrorCode::Validation,
                                  "import_semaphore: fd " + std::to_string(handle.os_handle.get()) +
                                      " is not an open file descriptor",
                                  handle.os_handle ? errno : EBADF));
  }
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::Validation, "import_semaphore: fd " + std::to_string(handle.os_handle.get()) +
                                           " is a pipe, socket or directory");
  }
  std::unique_ptr<VulkanSharedSemaphore> semaphore(
      new VulkanSharedSemaphore(*device_, handle.type, /*imported=*/true));
  GEYSER_TRY(semaphore->semaphore_, make_semaphore(*device_, handle.type, false));
  GEYSER_TRY(UniqueFd dup, handle.os_handle.duplicate());
  VkImportSemaphoreFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR};
  import.semaphore = semaphore->semaphore_;
  import.handleType = kHandleType;
  import.fd = dup.get();
  if (VkResult r = device_->functions().import_semaphore_fd(device_->device(), &import);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkImportSemaphoreFdKHR(OPAQUE_FD)"));  // dup closes
  }
  (void)dup.release();  // the driver owns it now
  return semaphore;
}

}  // namespace geyser::vulkan
