// vulkan::Device: a headless device Geyser creates, or the application's device adopted.
#include "geyser/vulkan/device.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace geyser::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::atomic<std::uint64_t> g_validation_errors{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT type,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void* /*user*/) {
  const bool is_validation = (type & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT) != 0;
  const bool is_error = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0;
  const bool is_warning = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) != 0;
  if (is_validation && (is_error || is_warning)) {
    g_validation_errors.fetch_add(1, std::memory_order_relaxed);
  }
  if (is_error || is_warning) {
    std::fprintf(stderr, "geyser: vulkan %s: %s\n", is_error ? "error" : "warning",
                 data && data->pMessage ? data->pMessage : "(no message)");
  }
  return VK_FALSE;  // never abort the call: the caller sees the driver's real result
}

bool validation_requested(const HeadlessOptions& options) {
  if (options.validation) return *options.validation;
  const char* env = std::getenv("GEYSER_VALIDATION");
  return env != nullptr && std::string_view(env) == "1";
}

Result<std::vector<VkExtensionProperties>> device_extensions(VkPhysicalDevice physical) {
  std::uint32_t count = 0;
  VkResult r = vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, nullptr);
  if (r != VK_SUCCESS) return tl::unexpected(vk_error(r, "vkEnumerateDeviceExtensionProperties"));
  std::vector<VkExtensionProperties> extensions(count);
  r = vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, extensions.data());
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
    return tl::unexpected(vk_error(r, "vkEnumerateDeviceExtensionProperties"));
  }
  extensions.resize(count);
  return extensions;
}

bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name) {
  return std::any_of(list.begin(), list.end(), [&](const VkExtensionProperties& e) {
    return std::strcmp(e.extensionName, name) == 0;
  });
}

struct PhysicalFacts {
  VkPhysicalDeviceProperties properties{};
  DeviceIdentity identity;
  std::string driver_name;
  std::string driver_info;
};

PhysicalFacts read_physical(VkPhysicalDevice physical) {
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES, &driver};
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &id};
  vkGetPhysicalDeviceProperties2(physical, &props2);
  PhysicalFacts facts;
  facts.properties = props2.properties;
  std::memcpy(facts.identity.driver_uuid.data(), id.driverUUID, VK_UUID_SIZE);
  std::memcpy(facts.identity.device_uuid.data(), id.deviceUUID, VK_UUID_SIZE);
  facts.driver_name = driver.driverName;
  facts.driver_info = driver.driverInfo;
  return facts;
}

std::vector<std::string> missing_required(VkPhysicalDevice physical,
                                          const VkPhysicalDeviceProperties& properties) {
  std::vector<std::string> missing;
  if (properties.apiVersion < kMinApiVersion) missing.emplace_back("Vulkan 1.3");
  const auto extensions = device_extensions(physical);
  if (!extensions) {
    missing.push_back("a readable extension list (" + extensions.error().message() + ")");
  }
  for (const char* name : kRequiredDeviceExtensions) {
    if (extensions && !has_extension(*extensions, name)) missing.emplace_back(name);
  }
  VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, &f13};
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f12};
  if (properties.apiVersion >= kMinApiVersion) {
    vkGetPhysicalDeviceFeatures2(physical, &features);
    if (!f13.synchronization2) missing.emplace_back("synchronization2");
    if (!f12.timelineSemaphore) missing.emplace_back("timelineSemaphore");
  }
  return missing;
}

int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER: return 3;
    default: return 4;  // CPU (lavapipe) last
  }
}

std::optional<std::uint32_t> pick_queue_family(VkPhysicalDevice physical) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families.data());
  // Graphics+compute first (the usual "universal" family), then compute, then anything that
  // can copy: all three can record the transfers and barriers Geyser needs.
  const VkQueueFlags preferences[] = {VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT,
                                      VK_QUEUE_COMPUTE_BIT, VK_QUEUE_TRANSFER_BIT};
  for (VkQueueFlags wanted : preferences) {
    for (std::uint32_t i = 0; i < count; ++i) {
      if (families[i].queueCount > 0 && (families[i].queueFlags & wanted) == wanted) return i;
    }
  }
  return std::nullopt;
}

// A family for copies only (TRANSFER without GRAPHICS and COMPUTE: a copy engine), other
// than `main`; none on most CPU and integrated devices.
std::optional<std::uint32_t> pick_transfer_family(VkPhysicalDevice physical, std::uint32_t main) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families.data());
  for (std::uint32_t i = 0; i < count; ++i) {
    const VkQueueFlags flags = families[i].queueFlags;
    if (i != main && families[i].queueCount > 0 && (flags & VK_QUEUE_TRANSFER_BIT) != 0 &&
        (flags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) == 0) {
      return i;
    }
  }
  return std::nullopt;
}

std::string version_string(std::uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) +
         "." + std::to_string(VK_API_VERSION_PATCH(v));
}

}  // namespace

std::uint64_t validation_error_count() noexcept {
  return g_validation_errors.load(std::memory_order_relaxed);
}

struct Device::State {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t family = 0;
  bool owns_instance = false;
  bool owns_device = false;
  bool external_semaphore = false;  // kExternalSemaphoreExtension enabled and loaded
  bool host_pointer = false;
  VkDeviceSize host_pointer_alignment = 0;
  bool validation = false;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  std::optional<QueueInfo> transfer;  // its pool is created by finish()
  DeviceFunctions functions;
  PhysicalFacts facts;
  VkPhysicalDeviceMemoryProperties memory{};

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (device != VK_NULL_HANDLE) {
      if (pool != VK_NULL_HANDLE) vkDestroyCommandPool(device, pool, nullptr);
      if (transfer && transfer->command_pool != VK_NULL_HANDLE) {
        vkDestroyCommandPool(device, transfer->command_pool, nullptr);
      }
      if (owns_device) vkDestroyDevice(device, nullptr);
    }
    if (instance != VK_NULL_HANDLE && owns_instance) {
      if (messenger != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy) destroy(instance, messenger, nullptr);
      }
      vkDestroyInstance(instance, nullptr);
    }
  }

  // Loads extension entry points from the device in use and creates Geyser's command pool.
  Result<void> finish() {
    facts = read_physical(physical);
    vkGetPhysicalDeviceMemoryProperties(physical, &memory);
#ifdef _WIN32
    functions.get_memory_win32_handle = reinterpret_cast<PFN_vkGetMemoryWin32HandleKHR>(
        vkGetDeviceProcAddr(device, "vkGetMemoryWin32HandleKHR"));
    if (functions.get_memory_win32_handle == nullptr) {
      return fail(ErrorCode::Unsupported,
                  "vkGetDeviceProcAddr(vkGetMemoryWin32HandleKHR) returned null: enable "
                  "VK_KHR_external_memory_win32 on the device");
    }
    if (external_semaphore) {
      functions.get_semaphore_win32_handle = reinterpret_cast<PFN_vkGetSemaphoreWin32HandleKHR>(
          vkGetDeviceProcAddr(device, "vkGetSemaphoreWin32HandleKHR"));
      functions.import_semaphore_win32_handle =
          reinterpret_cast<PFN_vkImportSemaphoreWin32HandleKHR>(
              vkGetDeviceProcAddr(device, "vkImportSemaphoreWin32HandleKHR"));
      external_semaphore =
          functions.get_semaphore_win32_handle && functions.import_semaphore_win32_handle;
    }
#else
    functions.get_memory_fd =
        reinterpret_cast<PFN_vkGetMemoryFdKHR>(vkGetDeviceProcAddr(device, "vkGetMemoryFdKHR"));
    if (functions.get_memory_fd == nullptr) {
      return fail(ErrorCode::Unsupported,
                  "vkGetDeviceProcAddr(vkGetMemoryFdKHR) returned null: enable "
                  "VK_KHR_external_memory_fd on the device");
    }
    if (external_semaphore) {
      functions.get_semaphore_fd = reinterpret_cast<PFN_vkGetSemaphoreFdKHR>(
          vkGetDeviceProcAddr(device, "vkGetSemaphoreFdKHR"));
      functions.import_semaphore_fd = reinterpret_cast<PFN_vkImportSemaphoreFdKHR>(
          vkGetDeviceProcAddr(device, "vkImportSemaphoreFdKHR"));
      external_semaphore = functions.get_semaphore_fd && functions.import_semaphore_fd;
    }
#endif
    if (host_pointer) {
      functions.get_memory_host_pointer_properties =
          reinterpret_cast<PFN_vkGetMemoryHostPointerPropertiesEXT>(
              vkGetDeviceProcAddr(device, "vkGetMemoryHostPointerPropertiesEXT"));
      VkPhysicalDeviceExternalMemoryHostPropertiesEXT host_props{
          VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
      VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         &host_props};
      vkGetPhysicalDeviceProperties2(physical, &props2);
      host_pointer_alignment = host_props.minImportedHostPointerAlignment;
      host_pointer =
          functions.get_memory_host_pointer_properties != nullptr && host_pointer_alignment != 0;
      if (!host_pointer) host_pointer_alignment = 0;
    }
    GEYSER_TRY(pool, create_pool(family));
    if (transfer) {
      GEYSER_TRY(transfer->command_pool, create_pool(transfer->family_index));
    }
    return {};
  }

  Result<VkCommandPool> create_pool(std::uint32_t family_index) const {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = family_index;
    VkCommandPool created = VK_NULL_HANDLE;
    if (VkResult r = vkCreateCommandPool(device, &pool_info, nullptr, &created); r != VK_SUCCESS) {
      return tl::unexpected(vk_error(r, "vkCreateCommandPool"));
    }
    return created;
  }
};

Device::Device(std::unique_ptr<State> state) : state_(std::move(state)) {}
Device::Device(Device&&) noexcept = default;
Device& Device::operator=(Device&&) noexcept = default;
Device::~Device() = default;

VkInstance Device::instance() const noexcept {
  return state_->instance;
}
VkPhysicalDevice Device::physical_device() const noexcept {
  return state_->physical;
}
VkDevice Device::device() const noexcept {
  return state_->device;
}
VkQueue Device::queue() const noexcept {
  return state_->queue;
}
std::uint32_t Device::queue_family_index() const noexcept {
  return state_->family;
}
const DeviceFunctions& Device::functions() const noexcept {
  return state_->functions;
}
const DeviceIdentity& Device::identity() const noexcept {
  return state_->facts.identity;
}
const VkPhysicalDeviceProperties& Device::properties() const noexcept {
  return state_->facts.properties;
}
const VkPhysicalDeviceMemoryProperties& Device::memory_properties() const noexcept {
  return state_->memory;
}
std::string Device::name() const {
  return state_->facts.properties.deviceName;
}
#ifdef _WIN32
bool Device::has_semaphore_win32() const noexcept {
  return state_->external_semaphore;
}
#else
bool Device::has_semaphore_fd() const noexcept {
  return state_->external_semaphore;
}
#endif
bool Device::host_pointer_import() const noexcept {
  return state_->host_pointer;
}
VkDeviceSize Device::min_imported_host_pointer_alignment() const noexcept {
  return state_->host_pointer_alignment;
}
bool Device::validation_enabled() const noexcept {
  return state_->validation;
}
VkCommandPool Device::command_pool() const noexcept {
  return state_->pool;
}
QueueInfo Device::main_queue() const noexcept {
  return QueueInfo{state_->queue, state_->family, state_->pool};
}
const QueueInfo* Device::transfer_queue() const noexcept {
  return state_->transfer ? &*state_->transfer : nullptr;
}

namespace {

Result<VkInstance> create_instance(const std::string& app_name, bool validation,
                                   VkDebugUtilsMessengerEXT* messenger) {
  std::uint32_t loader_version = VK_API_VERSION_1_0;
  vkEnumerateInstanceVersion(&loader_version);
  if (loader_version < kMinApiVersion) {
    return fail(ErrorCode::Unsupported, "Vulkan loader version " + version_string(loader_version) +
                                            " is older than the 1.3 Geyser needs");
  }
  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  if (validation) {
    std::uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> available(count);
    vkEnumerateInstanceLayerProperties(&count, available.data());
    const bool found = std::any_of(available.begin(), available.end(), [](const auto& l) {
      return std::strcmp(l.layerName, kValidationLayer) == 0;
    });
    if (!found) {
      return fail(ErrorCode::Unsupported,
                  "validation was requested but VK_LAYER_KHRONOS_validation is not installed "
                  "(Debian: apt-get install vulkan-validationlayers)");
    }
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = app_name.c_str();
  app.pEngineName = "geyser";
  app.apiVersion = kMinApiVersion;
  VkDebugUtilsMessengerCreateInfoEXT debug_info{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  debug_info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  debug_info.messageType =
      VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
  debug_info.pfnUserCallback = on_debug_message;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  // Chaining the messenger info also reports messages from vkCreateInstance itself.
  info.pNext = validation ? &debug_info : nullptr;
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VkInstance instance = VK_NULL_HANDLE;
  if (VkResult r = vkCreateInstance(&info, nullptr, &instance); r != VK_SUCCESS) {
    Error e = vk_error(r, "vkCreateInstance");
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
      return fail(
          Error(ErrorCode::Unsupported,
                e.message() + ": no Vulkan driver (Debian: apt-get install mesa-vulkan-drivers)",
                NativeDomain::VkResult, r));
    }
    return tl::unexpected(std::move(e));
  }
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    if (create == nullptr || create(instance, &debug_info, nullptr, messenger) != VK_SUCCESS) {
      vkDestroyInstance(instance, nullptr);
      return fail(ErrorCode::Internal, "vkCreateDebugUtilsMessengerEXT failed");
    }
  }
  return instance;
}

Result<std::vector<VkPhysicalDevice>> enumerate(VkInstance instance) {
  std::uint32_t count = 0;
  if (VkResult r = vkEnumeratePhysicalDevices(instance, &count, nullptr); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkEnumeratePhysicalDevices"));
  }
  std::vector<VkPhysicalDevice> devices(count);
  if (VkResult r = vkEnumeratePhysicalDevices(instance, &count, devices.data());
      r != VK_SUCCESS && r != VK_INCOMPLETE) {
    return tl::unexpected(vk_error(r, "vkEnumeratePhysicalDevices"));
  }
  devices.resize(count);
  if (devices.empty()) {
    return fail(ErrorCode::Unsupported,
                "no Vulkan physical device found (Debian: apt-get install mesa-vulkan-drivers "
                "for the CPU device lavapipe)");
  }
  return devices;
}

}  // namespace

Result<Device> Device::create_headless(const HeadlessOptions& options) {
  auto state = std::make_unique<State>();
  state->validation = validation_requested(options);
  state->owns_instance = true;
  GEYSER_TRY(state->instance,
             create_instance(options.application_name, state->validation, &state->messenger));
  GEYSER_TRY(auto physicals, enumerate(state->instance));

  // Choose: an explicit index or name, else the best-ranked device that has what we need.
  std::string rejected;
  int best_rank = 1 << 30;
  for (std::uint32_t i = 0; i < physicals.size(); ++i) {
    const PhysicalFacts facts = read_physical(physicals[i]);
    if (options.device_index && *options.device_index != i) continue;
    if (options.device_uuid && *options.device_uuid != facts.identity.device_uuid) continue;
    if (!options.device_name_contains.empty() &&
        std::string_view(facts.properties.deviceName).find(options.device_name_contains) ==
            std::string_view::npos) {
      continue;
    }
    const auto missing = missing_required(physicals[i], facts.properties);
    const auto family = pick_queue_family(physicals[i]);
    if (!missing.empty() || !family) {
      rejected +=
          std::string(rejected.empty() ? "" : "; ") + facts.properties.deviceName + " lacks ";
      for (std::size_t m = 0; m < missing.size(); ++m) rejected += (m ? ", " : "") + missing[m];
      if (!family) rejected += missing.empty() ? "a usable queue" : ", a usable queue";
      continue;
    }
    const int rank = type_rank(facts.properties.deviceType);
    if (rank < best_rank) {
      best_rank = rank;
      state->physical = physicals[i];
      state->family = *family;
    }
  }
  if (state->physical == VK_NULL_HANDLE) {
    std::string message = "Device::create_headless: no suitable Vulkan device";
    if (options.device_index) message += " at index " + std::to_string(*options.device_index);
    if (options.device_uuid)
      message += " with device UUID " + geyser::to_string(*options.device_uuid);
    if (!options.device_name_contains.empty()) {
      message += " whose name contains \"" + options.device_name_contains + "\"";
    }
    if (!rejected.empty()) message += " (" + rejected + ")";
    return fail(ErrorCode::Unsupported, std::move(message));
  }

  GEYSER_TRY(const auto available, device_extensions(state->physical));
  std::vector<const char*> extensions(std::begin(kRequiredDeviceExtensions),
                                      std::end(kRequiredDeviceExtensions));
  for (const char* name : kOptionalDeviceExtensions) {
    if (has_extension(available, name)) extensions.push_back(name);
  }
  state->external_semaphore = has_extension(available, kExternalSemaphoreExtension);
  state->host_pointer = has_extension(available, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_infos[2] = {{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO},
                                            {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO}};
  std::uint32_t queue_count = 1;
  queue_infos[0].queueFamilyIndex = state->family;
  queue_infos[0].queueCount = 1;
  queue_infos[0].pQueuePriorities = &priority;
  const auto transfer_family =
      options.transfer_queue ? pick_transfer_family(state->physical, state->family) : std::nullopt;
  if (transfer_family) {
    queue_infos[1].queueFamilyIndex = *transfer_family;
    queue_infos[1].queueCount = 1;
    queue_infos[1].pQueuePriorities = &priority;
    queue_count = 2;
  }
  VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  f13.synchronization2 = VK_TRUE;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, &f13};
  f12.timelineSemaphore = VK_TRUE;
  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &f12};
  device_info.queueCreateInfoCount = queue_count;
  device_info.pQueueCreateInfos = queue_infos;
  device_info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  device_info.ppEnabledExtensionNames = extensions.data();
  if (VkResult r = vkCreateDevice(state->physical, &device_info, nullptr, &state->device);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateDevice"));
  }
  state->owns_device = true;
  vkGetDeviceQueue(state->device, state->family, 0, &state->queue);
  if (transfer_family) {
    QueueInfo transfer{VK_NULL_HANDLE, *transfer_family, VK_NULL_HANDLE};
    vkGetDeviceQueue(state->device, *transfer_family, 0, &transfer.queue);
    state->transfer = transfer;
  }
  GEYSER_TRY_VOID(state->finish());
  return Device(std::move(state));
}

Result<Device> Device::adopt(const AdoptInfo& info) {
  if (info.instance == VK_NULL_HANDLE || info.physical_device == VK_NULL_HANDLE ||
      info.device == VK_NULL_HANDLE || info.queue == VK_NULL_HANDLE) {
    return fail(ErrorCode::Validation,
                "Device::adopt: instance, physical_device, device and queue must all be non-null");
  }
  std::uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(info.physical_device, &family_count, nullptr);
  if (info.queue_family_index >= family_count) {
    return fail(ErrorCode::Validation,
                "Device::adopt: queue_family_index " + std::to_string(info.queue_family_index) +
                    " is not below the family count " + std::to_string(family_count));
  }
  VkPhysicalDeviceProperties properties{};
  vkGetPhysicalDeviceProperties(info.physical_device, &properties);
  if (properties.apiVersion < kMinApiVersion) {
    return fail(ErrorCode::Unsupported,
                std::string("Device::adopt: ") + properties.deviceName + " supports Vulkan " +
                    version_string(properties.apiVersion) + ", Geyser needs 1.3");
  }
  const auto enabled = [&](const char* name) {
    return std::find(info.enabled_device_extensions.begin(), info.enabled_device_extensions.end(),
                     name) != info.enabled_device_extensions.end();
  };
  for (const char* name : kRequiredDeviceExtensions) {
    if (!enabled(name)) {
      return fail(ErrorCode::Unsupported, std::string("Device::adopt: the device was created "
                                                      "without the required extension ") +
                                              name);
    }
  }
  if (info.transfer_queue != VK_NULL_HANDLE) {
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(info.physical_device, &family_count, families.data());
    const std::uint32_t t = info.transfer_queue_family_index;
    if (t >= family_count || t == info.queue_family_index ||
        (families[t].queueFlags &
         (VK_QUEUE_TRANSFER_BIT | VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) == 0) {
      return fail(ErrorCode::Validation,
                  "Device::adopt: transfer_queue_family_index " + std::to_string(t) +
                      " must name a family other than queue_family_index that supports "
                      "transfers, below the family count " +
                      std::to_string(family_count));
    }
  }
  auto state = std::make_unique<State>();
  state->instance = info.instance;
  state->physical = info.physical_device;
  state->device = info.device;
  state->queue = info.queue;
  state->family = info.queue_family_index;
  state->external_semaphore = enabled(kExternalSemaphoreExtension);
  state->host_pointer = enabled(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  if (info.transfer_queue != VK_NULL_HANDLE) {
    state->transfer =
        QueueInfo{info.transfer_queue, info.transfer_queue_family_index, VK_NULL_HANDLE};
  }
  GEYSER_TRY_VOID(state->finish());
  return Device(std::move(state));
}

Result<std::vector<PhysicalDeviceSummary>> list_physical_devices() {
  VkDebugUtilsMessengerEXT unused = VK_NULL_HANDLE;
  GEYSER_TRY(VkInstance instance, create_instance("geyser-list", false, &unused));
  auto physicals = enumerate(instance);
  if (!physicals) {
    vkDestroyInstance(instance, nullptr);
    return tl::unexpected(std::move(physicals).error());
  }
  std::vector<PhysicalDeviceSummary> out;
  for (std::uint32_t i = 0; i < physicals->size(); ++i) {
    VkPhysicalDevice physical = (*physicals)[i];
    const PhysicalFacts facts = read_physical(physical);
    PhysicalDeviceSummary summary;
    summary.index = i;
    summary.name = facts.properties.deviceName;
    summary.type = facts.properties.deviceType;
    summary.api_version = facts.properties.apiVersion;
    summary.driver_name = facts.driver_name;
    summary.driver_info = facts.driver_info;
    summary.identity = facts.identity;
    summary.missing_extensions = missing_required(physical, facts.properties);
    out.push_back(std::move(summary));
  }
  vkDestroyInstance(instance, nullptr);
  return out;
}

}  // namespace geyser::vulkan
