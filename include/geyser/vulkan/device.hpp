// The Vulkan device Geyser works on: adopted from the application, or created headless.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser::vulkan {

// On Windows the Vulkan headers' Win32 part (vulkan_win32.h: the OPAQUE_WIN32 extensions and
// their entry points) is needed: geyser::vulkan defines VK_USE_PLATFORM_WIN32_KHR for its
// users, so <vulkan/vulkan.h> includes it (and <windows.h>).
#if defined(_WIN32) && !defined(VK_KHR_external_memory_win32)
#error \
    "geyser/vulkan/device.hpp on Windows needs VK_USE_PLATFORM_WIN32_KHR defined before <vulkan/vulkan.h>"
#endif

#ifdef _WIN32
/// Device extensions Geyser needs for memory sharing (opaque Win32 handles on Windows).
inline constexpr const char* kRequiredDeviceExtensions[] = {
    VK_KHR_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};
/// The device extension that exports and imports semaphores (opaque Win32 handles).
inline constexpr const char* kExternalSemaphoreExtension =
    VK_KHR_EXTERNAL_SEMAPHORE_WIN32_EXTENSION_NAME;
#else
/// Device extensions Geyser needs for memory sharing (opaque fd on Linux).
inline constexpr const char* kRequiredDeviceExtensions[] = {
    VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
};
/// The device extension that exports and imports semaphores (opaque fds).
inline constexpr const char* kExternalSemaphoreExtension =
    VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME;
#endif
/// Device extensions Geyser uses when present (exported semaphores for `gpu` sync; host
/// memory imported as buffers, so the device copies host frames straight into shared memory).
inline constexpr const char* kOptionalDeviceExtensions[] = {
    kExternalSemaphoreExtension,
    VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME,
};
/// Lowest Vulkan version Geyser runs on (timeline semaphores and synchronization2 are core).
inline constexpr std::uint32_t kMinApiVersion = VK_API_VERSION_1_3;

/// Options for Device::create_headless.
struct HeadlessOptions {
  /// Pick the physical device whose name contains this (case-sensitive); empty: default
  /// choice (a discrete or integrated GPU first, then any other, then a CPU device).
  std::string device_name_contains;
  /// Or pick by index in vkEnumeratePhysicalDevices order.
  std::optional<std::uint32_t> device_index;
  /// Or pick the physical device whose deviceUUID is this (VkPhysicalDeviceIDProperties):
  /// the Vulkan twin of an OpenGL context or a CUDA device (both report the same UUID for
  /// the same GPU and driver).
  std::optional<Uuid> device_uuid;
  /// Enable VK_LAYER_KHRONOS_validation and count its messages (see
  /// validation_error_count). Fails with Unsupported if the layer is not installed.
  /// nullopt: enabled when the environment variable GEYSER_VALIDATION is "1".
  std::optional<bool> validation;
  std::string application_name = "geyser";
  /// Also create one queue on a dedicated transfer family (TRANSFER without GRAPHICS and
  /// COMPUTE) when the device has one: host-frame copies (docs/host-frames.md) then run on
  /// the copy engine beside the application's work. false: everything runs on queue().
  bool transfer_queue = true;
};

/// What the application hands over when Geyser works on its own Vulkan objects. The
/// device must have been created with kRequiredDeviceExtensions enabled and the
/// synchronization2 and timelineSemaphore features on; Geyser never destroys these objects.
struct AdoptInfo {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t queue_family_index = 0;
  /// The extensions the device was created with; Geyser checks the required ones are here.
  std::vector<std::string> enabled_device_extensions;
  /// Optional: a queue of another family that supports transfers, for Geyser's host-frame
  /// copies (the same external-synchronization rule as `queue`). Null: they run on `queue`.
  VkQueue transfer_queue = VK_NULL_HANDLE;
  std::uint32_t transfer_queue_family_index = 0;
};

/// A queue Geyser submits to, with its family and a command pool of Geyser's on it.
struct QueueInfo {
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t family_index = 0;
  VkCommandPool command_pool = VK_NULL_HANDLE;
};

/// Extension entry points, loaded with vkGetDeviceProcAddr from the device in use.
struct DeviceFunctions {
#ifdef _WIN32
  PFN_vkGetMemoryWin32HandleKHR get_memory_win32_handle = nullptr;
  /// Null unless VK_KHR_external_semaphore_win32 is enabled (Device::has_semaphore_win32).
  PFN_vkGetSemaphoreWin32HandleKHR get_semaphore_win32_handle = nullptr;
  PFN_vkImportSemaphoreWin32HandleKHR import_semaphore_win32_handle = nullptr;
#else
  PFN_vkGetMemoryFdKHR get_memory_fd = nullptr;
  /// Null unless VK_KHR_external_semaphore_fd is enabled (Device::has_semaphore_fd).
  PFN_vkGetSemaphoreFdKHR get_semaphore_fd = nullptr;
  PFN_vkImportSemaphoreFdKHR import_semaphore_fd = nullptr;
#endif
  /// Null unless VK_EXT_external_memory_host is enabled (Device::host_pointer_import).
  PFN_vkGetMemoryHostPointerPropertiesEXT get_memory_host_pointer_properties = nullptr;
};

/// A Vulkan device with one queue that Geyser submits to (and, where the device has a
/// dedicated transfer family, a second one for host-frame copies). Move-only. A Device made by
/// create_headless owns its instance and device and destroys them; an adopted one owns
/// nothing but its command pool. Calls that submit work (textures' uploads and readbacks,
/// sync helpers) use the queue: the application must not use that queue on another thread
/// at the same time (Vulkan's external synchronization rule for queues).
class Device {
 public:
  /// Creates an instance and a device with the extensions Geyser needs. Unsupported if no
  /// physical device has them, with the devices seen and what each lacked in the message.
  [[nodiscard]] static Result<Device> create_headless(const HeadlessOptions& options = {});
  /// Works on the application's objects. Validation for null handles; Unsupported naming
  /// the first required extension or feature the device lacks.
  [[nodiscard]] static Result<Device> adopt(const AdoptInfo& info);

  Device(Device&&) noexcept;
  Device& operator=(Device&&) noexcept;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  [[nodiscard]] VkInstance instance() const noexcept;
  [[nodiscard]] VkPhysicalDevice physical_device() const noexcept;
  [[nodiscard]] VkDevice device() const noexcept;
  [[nodiscard]] VkQueue queue() const noexcept;
  [[nodiscard]] std::uint32_t queue_family_index() const noexcept;
  [[nodiscard]] const DeviceFunctions& functions() const noexcept;
  [[nodiscard]] const DeviceIdentity& identity() const noexcept;
  [[nodiscard]] const VkPhysicalDeviceProperties& properties() const noexcept;
  [[nodiscard]] const VkPhysicalDeviceMemoryProperties& memory_properties() const noexcept;
  /// "NVIDIA H100 80GB HBM3" / "llvmpipe (LLVM 15.0.6, 256 bits)".
  [[nodiscard]] std::string name() const;
#ifdef _WIN32
  /// True if VK_KHR_external_semaphore_win32 is enabled and its entry points loaded.
  [[nodiscard]] bool has_semaphore_win32() const noexcept;
#else
  /// True if VK_KHR_external_semaphore_fd is enabled and its entry points loaded.
  [[nodiscard]] bool has_semaphore_fd() const noexcept;
#endif
  /// True if VK_EXT_external_memory_host is enabled: host memory can be imported as
  /// VkDeviceMemory (VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT).
  [[nodiscard]] bool host_pointer_import() const noexcept;
  /// The alignment an imported host pointer and its size must have
  /// (VkPhysicalDeviceExternalMemoryHostPropertiesEXT); 0 without host_pointer_import().
  [[nodiscard]] VkDeviceSize min_imported_host_pointer_alignment() const noexcept;
  /// True if this device was created with the validation layer on.
  [[nodiscard]] bool validation_enabled() const noexcept;
  /// A command pool on the queue's family, for Geyser's own one-off submissions.
  [[nodiscard]] VkCommandPool command_pool() const noexcept;
  /// queue(), its family and command_pool().
  [[nodiscard]] QueueInfo main_queue() const noexcept;
  /// The queue of a dedicated transfer family that host-frame copies run on; null when
  /// there is none (no such family, HeadlessOptions::transfer_queue false, or an adopted
  /// device given none). The same external-synchronization rule as queue() applies.
  [[nodiscard]] const QueueInfo* transfer_queue() const noexcept;

 private:
  struct State;
  explicit Device(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// One physical device as the loader sees it, for listing (geyser info).
struct PhysicalDeviceSummary {
  std::uint32_t index = 0;  ///< for HeadlessOptions::device_index
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  std::uint32_t api_version = 0;
  std::string driver_name;
  std::string driver_info;
  DeviceIdentity identity;
  std::vector<std::string> missing_extensions;  ///< required ones the device lacks
};

/// Every physical device the Vulkan loader reports, with what it lacks for Geyser.
/// Unsupported when there is no Vulkan loader or driver at all.
[[nodiscard]] Result<std::vector<PhysicalDeviceSummary>> list_physical_devices();

/// Validation-layer messages of severity error seen by any Device created with validation
/// since the process started. Tests check it stays at zero.
[[nodiscard]] std::uint64_t validation_error_count() noexcept;

/// Maps a VkResult to an Error naming `call`.
[[nodiscard]] Error vk_error(VkResult result, std::string call);
/// "VK_ERROR_OUT_OF_DEVICE_MEMORY".
[[nodiscard]] std::string_view to_string(VkResult result) noexcept;

}  // namespace geyser::vulkan
