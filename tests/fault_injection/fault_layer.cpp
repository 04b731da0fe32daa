// VK_LAYER_GEYSER_fault_injection: a Vulkan layer that makes one chosen call fail.
//
// A layer is a dispatch table by construction: the loader hands each layer the next one's
// entry points, so every call Geyser makes (core entry points through the loader's
// trampolines, extension ones through vkGetDeviceProcAddr) passes through here, in any
// build of the library, with the validation layer still in the chain. The calls of
// fault_calls.hpp are counted per owner and the armed one returns its error instead of
// going down (fault_state.cpp). Object creations and destructions are counted so that a
// test sees leaks. Loader interface version 2; nothing is exported but the negotiation
// entry point, so a test may also dlopen this library without shadowing the loader.
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include "fault_calls.hpp"
#include "fault_state.hpp"

namespace geyser::fault {
namespace {

struct InstanceTable {
  VkInstance handle = VK_NULL_HANDLE;
  int owner = 0;
  PFN_vkGetInstanceProcAddr gipa = nullptr;
  PFN_vkDestroyInstance DestroyInstance = nullptr;
  PFN_vkCreateDevice CreateDevice = nullptr;
  PFN_vkEnumeratePhysicalDevices EnumeratePhysicalDevices = nullptr;
#define GEYSER_FAULT_FIELD(Name, ...) PFN_vk##Name Name = nullptr;
#define GEYSER_FAULT_OBJECT_FIELDS(Create, Destroy, ...) \
  PFN_vk##Create Create = nullptr;                       \
  PFN_vk##Destroy Destroy = nullptr;
  GEYSER_FAULT_INSTANCE_CALLS(GEYSER_FAULT_FIELD)
  GEYSER_FAULT_INSTANCE_OBJECTS(GEYSER_FAULT_OBJECT_FIELDS)
};

struct DeviceTable {
  VkDevice handle = VK_NULL_HANDLE;
  int owner = 0;
  PFN_vkGetDeviceProcAddr gdpa = nullptr;
  PFN_vkDestroyDevice DestroyDevice = nullptr;
  GEYSER_FAULT_DEVICE_CALLS(GEYSER_FAULT_FIELD)
  GEYSER_FAULT_DEVICE_OBJECTS(GEYSER_FAULT_OBJECT_FIELDS)
};

// Dispatchable handles of one instance or device share the loader's dispatch pointer,
// stored first in the object: the key layers look their tables up by.
template <typename Handle>
void* key(Handle handle) {
  return *reinterpret_cast<void**>(handle);
}

struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, std::unique_ptr<InstanceTable>> instances;
  std::unordered_map<VkPhysicalDevice, InstanceTable*> physical_devices;
  std::unordered_map<void*, std::unique_ptr<DeviceTable>> devices;
};

Registry& registry() {
  static Registry r;
  return r;
}

InstanceTable* table(VkInstance instance) {
  std::lock_guard lock(registry().mutex);
  auto found = registry().instances.find(key(instance));
  return found == registry().instances.end() ? nullptr : found->second.get();
}

InstanceTable* table(VkPhysicalDevice physical_device) {
  std::lock_guard lock(registry().mutex);
  auto found = registry().physical_devices.find(physical_device);
  if (found != registry().physical_devices.end()) return found->second;
  auto by_key = registry().instances.find(key(physical_device));
  return by_key == registry().instances.end() ? nullptr : by_key->second.get();
}

template <typename Handle>
DeviceTable* device_table(Handle handle) {
  std::lock_guard lock(registry().mutex);
  auto found = registry().devices.find(key(handle));
  return found == registry().devices.end() ? nullptr : found->second.get();
}
DeviceTable* table(VkDevice h) {
  return device_table(h);
}
DeviceTable* table(VkQueue h) {
  return device_table(h);
}
DeviceTable* table(VkCommandBuffer h) {
  return device_table(h);
}

// The failable calls: count, fail the armed one, else pass it down.
#define GEYSER_FAULT_WRAPPER(Name, Error, Params, Args)         \
  VKAPI_ATTR VkResult VKAPI_CALL Name Params {                  \
    auto* t = table(h);                                         \
    if (should_fail(t->owner, "vk" #Name, Error)) return Error; \
    return t->Name Args;                                        \
  }
GEYSER_FAULT_INSTANCE_CALLS(GEYSER_FAULT_WRAPPER)
GEYSER_FAULT_DEVICE_CALLS(GEYSER_FAULT_WRAPPER)

// Objects: the create may fail and is counted when it succeeds; destroys are counted.
#define GEYSER_FAULT_OBJECT_WRAPPERS(Create, Destroy, Kind, Error, Info, Handle, Owner)        \
  VKAPI_ATTR VkResult VKAPI_CALL Create(Owner h, const Info* info,                             \
                                        const VkAllocationCallbacks* allocator, Handle* out) { \
    auto* t = table(h);                                                                        \
    if (should_fail(t->owner, "vk" #Create, Error)) return Error;                              \
    const VkResult result = t->Create(h, info, allocator, out);                                \
    if (result == VK_SUCCESS) created(Kind);                                                   \
    return result;                                                                             \
  }                                                                                            \
  VKAPI_ATTR void VKAPI_CALL Destroy(Owner h, Handle object,                                   \
                                     const VkAllocationCallbacks* allocator) {                 \
    if (object != VK_NULL_HANDLE) destroyed(Kind);                                             \
    table(h)->Destroy(h, object, allocator);                                                   \
  }
#define GEYSER_FAULT_DEVICE_OBJECT(...) GEYSER_FAULT_OBJECT_WRAPPERS(__VA_ARGS__, VkDevice)
#define GEYSER_FAULT_INSTANCE_OBJECT(...) GEYSER_FAULT_OBJECT_WRAPPERS(__VA_ARGS__, VkInstance)
GEYSER_FAULT_DEVICE_OBJECTS(GEYSER_FAULT_DEVICE_OBJECT)
GEYSER_FAULT_INSTANCE_OBJECTS(GEYSER_FAULT_INSTANCE_OBJECT)

VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDevices(VkInstance h, uint32_t* count,
                                                        VkPhysicalDevice* devices) {
  auto* t = table(h);
  if (should_fail(t->owner, "vkEnumeratePhysicalDevices", VK_ERROR_INITIALIZATION_FAILED)) {
    return VK_ERROR_INITIALIZATION_FAILED;
  }
  const VkResult result = t->EnumeratePhysicalDevices(h, count, devices);
  if (devices != nullptr && (result == VK_SUCCESS || result == VK_INCOMPLETE)) {
    std::lock_guard lock(registry().mutex);
    for (uint32_t i = 0; i < *count; ++i) registry().physical_devices[devices[i]] = t;
  }
  return result;
}

// The loader's link in a create info's pNext chain for this layer.
template <typename LinkInfo>
LinkInfo* chain_link(const void* next, VkStructureType type) {
  for (auto* s = static_cast<const VkBaseInStructure*>(next); s != nullptr; s = s->pNext) {
    auto* info = reinterpret_cast<const LinkInfo*>(s);
    if (s->sType == type && info->function == VK_LAYER_LINK_INFO) {
      return const_cast<LinkInfo*>(info);
    }
  }
  return nullptr;
}

VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo* info,
                                              const VkAllocationCallbacks* allocator,
                                              VkInstance* out) {
  auto* link = chain_link<VkLayerInstanceCreateInfo>(info->pNext,
                                                     VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO);
  if (link == nullptr) return VK_ERROR_INITIALIZATION_FAILED;
  const PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  auto t = std::make_unique<InstanceTable>();
  t->owner = new_owner();
  if (should_fail(t->owner, "vkCreateInstance", VK_ERROR_OUT_OF_HOST_MEMORY)) {
    return VK_ERROR_OUT_OF_HOST_MEMORY;
  }
  auto create = reinterpret_cast<PFN_vkCreateInstance>(gipa(VK_NULL_HANDLE, "vkCreateInstance"));
  const VkResult result = create(info, allocator, out);
  if (result != VK_SUCCESS) return result;
  t->handle = *out;
  t->gipa = gipa;
#define GEYSER_FAULT_LOAD_INSTANCE(Name) \
  t->Name = reinterpret_cast<PFN_vk##Name>(gipa(*out, "vk" #Name));
  GEYSER_FAULT_LOAD_INSTANCE(DestroyInstance)
  GEYSER_FAULT_LOAD_INSTANCE(CreateDevice)
  GEYSER_FAULT_LOAD_INSTANCE(EnumeratePhysicalDevices)
#define GEYSER_FAULT_LOAD_INSTANCE_CALL(Name, ...) GEYSER_FAULT_LOAD_INSTANCE(Name)
#define GEYSER_FAULT_LOAD_INSTANCE_OBJECT(Create, Destroy, ...) \
  GEYSER_FAULT_LOAD_INSTANCE(Create) GEYSER_FAULT_LOAD_INSTANCE(Destroy)
  GEYSER_FAULT_INSTANCE_CALLS(GEYSER_FAULT_LOAD_INSTANCE_CALL)
  GEYSER_FAULT_INSTANCE_OBJECTS(GEYSER_FAULT_LOAD_INSTANCE_OBJECT)
  created(GEYSER_FAULT_INSTANCE);
  std::lock_guard lock(registry().mutex);
  registry().instances[key(*out)] = std::move(t);
  return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance,
                                           const VkAllocationCallbacks* allocator) {
  if (instance == VK_NULL_HANDLE) return;
  InstanceTable* t = table(instance);
  t->DestroyInstance(instance, allocator);
  destroyed(GEYSER_FAULT_INSTANCE);
  std::lock_guard lock(registry().mutex);
  std::erase_if(registry().physical_devices, [t](const auto& entry) { return entry.second == t; });
  registry().instances.erase(key(instance));
}

VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice physical_device,
                                            const VkDeviceCreateInfo* info,
                                            const VkAllocationCallbacks* allocator, VkDevice* out) {
  auto* link =
      chain_link<VkLayerDeviceCreateInfo>(info->pNext, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO);
  InstanceTable* instance = table(physical_device);
  if (link == nullptr || instance == nullptr) return VK_ERROR_INITIALIZATION_FAILED;
  const PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
  link->u.pLayerInfo = link->u.pLayerInfo->pNext;
  if (should_fail(instance->owner, "vkCreateDevice", VK_ERROR_OUT_OF_DEVICE_MEMORY)) {
    return VK_ERROR_OUT_OF_DEVICE_MEMORY;
  }
  const VkResult result = instance->CreateDevice(physical_device, info, allocator, out);
  if (result != VK_SUCCESS) return result;
  auto t = std::make_unique<DeviceTable>();
  t->handle = *out;
  t->owner = new_owner();
  t->gdpa = gdpa;
#define GEYSER_FAULT_LOAD_DEVICE(Name) \
  t->Name = reinterpret_cast<PFN_vk##Name>(gdpa(*out, "vk" #Name));
  GEYSER_FAULT_LOAD_DEVICE(DestroyDevice)
#define GEYSER_FAULT_LOAD_DEVICE_CALL(Name, ...) GEYSER_FAULT_LOAD_DEVICE(Name)
#define GEYSER_FAULT_LOAD_DEVICE_OBJECT(Create, Destroy, ...) \
  GEYSER_FAULT_LOAD_DEVICE(Create) GEYSER_FAULT_LOAD_DEVICE(Destroy)
  GEYSER_FAULT_DEVICE_CALLS(GEYSER_FAULT_LOAD_DEVICE_CALL)
  GEYSER_FAULT_DEVICE_OBJECTS(GEYSER_FAULT_LOAD_DEVICE_OBJECT)
  created(GEYSER_FAULT_DEVICE);
  std::lock_guard lock(registry().mutex);
  registry().devices[key(*out)] = std::move(t);
  return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device, const VkAllocationCallbacks* allocator) {
  if (device == VK_NULL_HANDLE) return;
  table(device)->DestroyDevice(device, allocator);
  destroyed(GEYSER_FAULT_DEVICE);
  std::lock_guard lock(registry().mutex);
  registry().devices.erase(key(device));
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char* name);
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance, const char* name);

struct Entry {
  const char* name;
  PFN_vkVoidFunction function;
};
#define GEYSER_FAULT_ENTRY(Name, ...) {"vk" #Name, reinterpret_cast<PFN_vkVoidFunction>(&Name)},
#define GEYSER_FAULT_OBJECT_ENTRIES(Create, Destroy, ...) \
  GEYSER_FAULT_ENTRY(Create) GEYSER_FAULT_ENTRY(Destroy)

// What vkGetDeviceProcAddr hands out from this layer.
const Entry kDeviceEntries[] = {GEYSER_FAULT_ENTRY(GetDeviceProcAddr) GEYSER_FAULT_ENTRY(
    DestroyDevice) GEYSER_FAULT_DEVICE_CALLS(GEYSER_FAULT_ENTRY)
                                    GEYSER_FAULT_DEVICE_OBJECTS(GEYSER_FAULT_OBJECT_ENTRIES)};
// What vkGetInstanceProcAddr hands out besides the device entries.
const Entry kInstanceEntries[] = {
    GEYSER_FAULT_ENTRY(GetInstanceProcAddr) GEYSER_FAULT_ENTRY(CreateInstance)
        GEYSER_FAULT_ENTRY(DestroyInstance) GEYSER_FAULT_ENTRY(CreateDevice)
            GEYSER_FAULT_ENTRY(EnumeratePhysicalDevices)
                GEYSER_FAULT_INSTANCE_CALLS(GEYSER_FAULT_ENTRY)
                    GEYSER_FAULT_INSTANCE_OBJECTS(GEYSER_FAULT_OBJECT_ENTRIES)};

template <std::size_t N>
PFN_vkVoidFunction find(const Entry (&entries)[N], const char* name) {
  for (const Entry& entry : entries) {
    if (std::strcmp(entry.name, name) == 0) return entry.function;
  }
  return nullptr;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char* name) {
  if (std::strcmp(name, "vkGetDeviceProcAddr") == 0) {
    return reinterpret_cast<PFN_vkVoidFunction>(&GetDeviceProcAddr);
  }
  DeviceTable* t = device == VK_NULL_HANDLE ? nullptr : table(device);
  if (t == nullptr) return nullptr;
  // Only what the next layer has: Geyser tells a missing extension by a null pointer.
  const PFN_vkVoidFunction next = t->gdpa(device, name);
  if (next == nullptr) return nullptr;
  const PFN_vkVoidFunction ours = find(kDeviceEntries, name);
  return ours != nullptr ? ours : next;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance,
                                                             const char* name) {
  if (std::strcmp(name, "vkGetInstanceProcAddr") == 0 ||
      std::strcmp(name, "vkCreateInstance") == 0) {
    return find(kInstanceEntries, name);
  }
  InstanceTable* t = instance == VK_NULL_HANDLE ? nullptr : table(instance);
  if (t == nullptr) return nullptr;  // global commands are the loader's
  const PFN_vkVoidFunction next = t->gipa(instance, name);
  if (next == nullptr) return nullptr;
  if (const PFN_vkVoidFunction ours = find(kInstanceEntries, name)) return ours;
  if (const PFN_vkVoidFunction ours = find(kDeviceEntries, name)) return ours;
  return next;
}

}  // namespace
}  // namespace geyser::fault

extern "C" VK_LAYER_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* version) {
  if (version == nullptr || version->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT) {
    return VK_ERROR_INITIALIZATION_FAILED;
  }
  if (version->loaderLayerInterfaceVersion > 2) version->loaderLayerInterfaceVersion = 2;
  version->pfnGetInstanceProcAddr = &geyser::fault::GetInstanceProcAddr;
  version->pfnGetDeviceProcAddr = &geyser::fault::GetDeviceProcAddr;
  version->pfnGetPhysicalDeviceProcAddr = nullptr;
  return VK_SUCCESS;
}
