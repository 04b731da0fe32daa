// The Vulkan calls the fault-injection layer can fail: every call Geyser makes that returns
// an error code, with the error it is made to return (one the specification allows for it).
// X-macro lists, so the dispatch tables, the wrappers and the name lookup stay in step. The
// first parameter is always named `h`: the dispatchable handle the call is routed by.
#pragma once

#include <vulkan/vulkan.h>

// Physical-device calls, counted on the instance they belong to.
#define GEYSER_FAULT_INSTANCE_CALLS(X)                                                      \
  X(EnumerateDeviceExtensionProperties, VK_ERROR_OUT_OF_HOST_MEMORY,                        \
    (VkPhysicalDevice h, const char* layer, uint32_t* count, VkExtensionProperties* props), \
    (h, layer, count, props))                                                               \
  X(GetPhysicalDeviceImageFormatProperties2, VK_ERROR_OUT_OF_HOST_MEMORY,                   \
    (VkPhysicalDevice h, const VkPhysicalDeviceImageFormatInfo2* info,                      \
     VkImageFormatProperties2* props),                                                      \
    (h, info, props))

// Device, queue and command-buffer calls that return an error and create nothing.
#define GEYSER_FAULT_DEVICE_CALLS(X)                                                               \
  X(BindImageMemory, VK_ERROR_OUT_OF_DEVICE_MEMORY,                                                \
    (VkDevice h, VkImage image, VkDeviceMemory memory, VkDeviceSize offset),                       \
    (h, image, memory, offset))                                                                    \
  X(BindBufferMemory, VK_ERROR_OUT_OF_DEVICE_MEMORY,                                               \
    (VkDevice h, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset),                     \
    (h, buffer, memory, offset))                                                                   \
  X(GetMemoryFdKHR, VK_ERROR_TOO_MANY_OBJECTS,                                                     \
    (VkDevice h, const VkMemoryGetFdInfoKHR* info, int* fd), (h, info, fd))                        \
  X(GetSemaphoreFdKHR, VK_ERROR_TOO_MANY_OBJECTS,                                                  \
    (VkDevice h, const VkSemaphoreGetFdInfoKHR* info, int* fd), (h, info, fd))                     \
  X(ImportSemaphoreFdKHR, VK_ERROR_INVALID_EXTERNAL_HANDLE,                                        \
    (VkDevice h, const VkImportSemaphoreFdInfoKHR* info), (h, info))                               \
  X(MapMemory, VK_ERROR_MEMORY_MAP_FAILED,                                                         \
    (VkDevice h, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,                    \
     VkMemoryMapFlags flags, void** data),                                                         \
    (h, memory, offset, size, flags, data))                                                        \
  X(AllocateCommandBuffers, VK_ERROR_OUT_OF_HOST_MEMORY,                                           \
    (VkDevice h, const VkCommandBufferAllocateInfo* info, VkCommandBuffer* buffers),               \
    (h, info, buffers))                                                                            \
  X(BeginCommandBuffer, VK_ERROR_OUT_OF_HOST_MEMORY,                                               \
    (VkCommandBuffer h, const VkCommandBufferBeginInfo* info), (h, info))                          \
  X(EndCommandBuffer, VK_ERROR_OUT_OF_HOST_MEMORY, (VkCommandBuffer h), (h))                       \
  X(QueueSubmit2, VK_ERROR_OUT_OF_HOST_MEMORY,                                                     \
    (VkQueue h, uint32_t count, const VkSubmitInfo2* submits, VkFence fence),                      \
    (h, count, submits, fence))                                                                    \
  X(QueueWaitIdle, VK_ERROR_OUT_OF_HOST_MEMORY, (VkQueue h), (h))                                  \
  X(DeviceWaitIdle, VK_ERROR_OUT_OF_HOST_MEMORY, (VkDevice h), (h))                                \
  X(WaitForFences, VK_ERROR_OUT_OF_HOST_MEMORY,                                                    \
    (VkDevice h, uint32_t count, const VkFence* fences, VkBool32 all, uint64_t timeout),           \
    (h, count, fences, all, timeout))                                                              \
  X(ResetFences, VK_ERROR_OUT_OF_DEVICE_MEMORY,                                                    \
    (VkDevice h, uint32_t count, const VkFence* fences), (h, count, fences))                       \
  X(GetSemaphoreCounterValue, VK_ERROR_OUT_OF_HOST_MEMORY,                                         \
    (VkDevice h, VkSemaphore semaphore, uint64_t * value), (h, semaphore, value))                  \
  X(WaitSemaphores, VK_ERROR_OUT_OF_HOST_MEMORY,                                                   \
    (VkDevice h, const VkSemaphoreWaitInfo* info, uint64_t timeout), (h, info, timeout))           \
  X(SignalSemaphore, VK_ERROR_OUT_OF_HOST_MEMORY, (VkDevice h, const VkSemaphoreSignalInfo* info), \
    (h, info))

// Device objects, counted while they live: (create, destroy, kind, error, info, handle).
#define GEYSER_FAULT_DEVICE_OBJECTS(X)                                                        \
  X(AllocateMemory, FreeMemory, GEYSER_FAULT_MEMORY, VK_ERROR_OUT_OF_DEVICE_MEMORY,           \
    VkMemoryAllocateInfo, VkDeviceMemory)                                                     \
  X(CreateImage, DestroyImage, GEYSER_FAULT_IMAGE, VK_ERROR_OUT_OF_DEVICE_MEMORY,             \
    VkImageCreateInfo, VkImage)                                                               \
  X(CreateBuffer, DestroyBuffer, GEYSER_FAULT_BUFFER, VK_ERROR_OUT_OF_DEVICE_MEMORY,          \
    VkBufferCreateInfo, VkBuffer)                                                             \
  X(CreateSemaphore, DestroySemaphore, GEYSER_FAULT_SEMAPHORE, VK_ERROR_OUT_OF_DEVICE_MEMORY, \
    VkSemaphoreCreateInfo, VkSemaphore)                                                       \
  X(CreateFence, DestroyFence, GEYSER_FAULT_FENCE, VK_ERROR_OUT_OF_DEVICE_MEMORY,             \
    VkFenceCreateInfo, VkFence)                                                               \
  X(CreateCommandPool, DestroyCommandPool, GEYSER_FAULT_COMMAND_POOL,                         \
    VK_ERROR_OUT_OF_DEVICE_MEMORY, VkCommandPoolCreateInfo, VkCommandPool)

// Instance objects, counted while they live.
#define GEYSER_FAULT_INSTANCE_OBJECTS(X)                                                       \
  X(CreateDebugUtilsMessengerEXT, DestroyDebugUtilsMessengerEXT, GEYSER_FAULT_DEBUG_MESSENGER, \
    VK_ERROR_OUT_OF_HOST_MEMORY, VkDebugUtilsMessengerCreateInfoEXT, VkDebugUtilsMessengerEXT)
