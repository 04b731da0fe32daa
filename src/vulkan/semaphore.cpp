// Shared semaphores on Vulkan, exported and imported through the external semaphore
// service the registry picks (external_semaphore/).
#include <string>

#include "external_semaphore/service.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace geyser::vulkan {
namespace {

using detail::ExternalSemaphoreService;

// What `service` reports for `type` on `device`: nothing where the service is missing or
// the device lacks its extension.
SemaphoreCapability query(const Device& device, const ExternalSemaphoreService* service,
                          SemaphoreType type) {
  SemaphoreCapability cap;
  cap.type = type;
  if (service == nullptr || !service->available(device)) return cap;
  VkSemaphoreTypeCreateInfo type_info{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type_info.semaphoreType =
      type == SemaphoreType::Timeline ? VK_SEMAPHORE_TYPE_TIMELINE : VK_SEMAPHORE_TYPE_BINARY;
  VkPhysicalDeviceExternalSemaphoreInfo info{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO, &type_info};
  info.handleType = service->vk_handle_type();
  VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
  vkGetPhysicalDeviceExternalSemaphoreProperties(device.physical_device(), &info, &props);
  cap.exportable =
      (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
  cap.importable =
      (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0;
  return cap;
}

// How messages name what `device` was asked to export as: the service it uses, or, when it
// can use none, every service of this build with the extension the device lacks for it.
std::string export_target(const Device& device) {
  if (const ExternalSemaphoreService* service = detail::preferred_semaphore_service(device)) {
    return std::string(service->description());
  }
  std::string out;
  for (const ExternalSemaphoreService* service : detail::semaphore_services()) {
    out += (out.empty() ? "" : " or ") + std::string(service->description()) + " (no " +
           std::string(service->extension_name()) + ")";
  }
  return out.empty() ? "any OS handle (this build has no semaphore service)" : out;
}

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
  return query(*device_, detail::preferred_semaphore_service(*device_), type);
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

// A semaphore exportable through `exporter`; nullptr for one that is imported into (an
// import replaces its payload, so it needs no export info).
Result<VkSemaphore> make_semaphore(const Device& device, SemaphoreType type,
                                   const ExternalSemaphoreService* exporter) {
  VkExportSemaphoreCreateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
  export_info.handleTypes = exporter != nullptr ? exporter->vk_handle_type() : 0;
  VkSemaphoreTypeCreateInfo type_info{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                      exporter != nullptr ? &export_info : nullptr};
  type_info.semaphoreType =
      type == SemaphoreType::Timeline ? VK_SEMAPHORE_TYPE_TIMELINE : VK_SEMAPHORE_TYPE_BINARY;
  type_info.initialValue = 0;
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type_info};
  if (exporter != nullptr) return exporter->create_exportable(device, info);
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
  const ExternalSemaphoreService* service = detail::preferred_semaphore_service(*device_);
  if (!query(*device_, service, type).exportable) {
    return fail(ErrorCode::Unsupported, "create_shared_semaphore(" + std::string(to_string(type)) +
                                            "): " + device_->name() +
                                            " cannot export this semaphore type as " +
                                            export_target(*device_));
  }
  std::unique_ptr<VulkanSharedSemaphore> semaphore(
      new VulkanSharedSemaphore(*device_, type, /*imported=*/false));
  GEYSER_TRY(semaphore->semaphore_, make_semaphore(*device_, type, service));
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
  // The same service create_vk_semaphore made it exportable for: the choice depends on
  // the device alone.
  const ExternalSemaphoreService* service = detail::preferred_semaphore_service(*device_);
  if (service == nullptr) {
    return fail(ErrorCode::Unsupported, "export_semaphore: " + device_->name() +
                                            " cannot export semaphores as " +
                                            export_target(*device_));
  }
  SemaphoreShareHandle handle;
  GEYSER_TRY(handle.os_handle, service->export_semaphore(*device_, vk->semaphore()));
  handle.type = vk->type();
  handle.identity = device_->identity();
  handle.handle_type = service->handle_type();
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
  // The exporter chose the handle type; only its service can import the handle.
  const ExternalSemaphoreService* service = detail::semaphore_service(handle.handle_type);
  if (service == nullptr) {
    return fail(ErrorCode::Unsupported, "import_semaphore: handle type " +
                                            std::string(to_string(handle.handle_type)) +
                                            " is not available on this platform");
  }
  // The semaphore is created with the handle's type, which must be the exporter's
  // (VUID-VkImportSemaphoreFdInfoKHR-handleType-03264): only the two Vulkan has.
  if (handle.type != SemaphoreType::Binary && handle.type != SemaphoreType::Timeline) {
    return fail(ErrorCode::Validation, "import_semaphore: semaphore type " +
                                           std::to_string(static_cast<unsigned>(handle.type)) +
                                           " is neither binary nor timeline");
  }
  // What the fd is does not depend on the device: a handle that is no semaphore fd at all
  // (a memfd, a pipe) is the peer's mistake, Validation, even where the device could import
  // no semaphore anyway. fstat only; nothing reads from it.
  GEYSER_TRY_VOID(service->check_handle(handle.os_handle.get()));
  if (!query(*device_, service, handle.type).importable) {
    return fail(ErrorCode::Unsupported, "import_semaphore(" + std::string(to_string(handle.type)) +
                                            "): " + device_->name() +
                                            " cannot import this semaphore type as " +
                                            std::string(service->description()));
  }
  std::unique_ptr<VulkanSharedSemaphore> semaphore(
      new VulkanSharedSemaphore(*device_, handle.type, /*imported=*/true));
  GEYSER_TRY(semaphore->semaphore_, make_semaphore(*device_, handle.type, nullptr));
  // Import a duplicate so that the handle keeps its own (the service consumes what it gets).
  GEYSER_TRY(UniqueHandle dup, handle.os_handle.duplicate());
  GEYSER_TRY_VOID(service->import_semaphore(*device_, semaphore->semaphore_, std::move(dup)));
  return semaphore;
}

}  // namespace geyser::vulkan
