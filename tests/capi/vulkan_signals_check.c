/* ctest capi.VulkanSignals: a VULKAN sender in C whose frames carry the present's semaphore
 * signals in the application's own vkQueueSubmit2 (geyser_sender_vk_present_signals, C API
 * version 4), read by a VULKAN receiver on a second device of the same process, which
 * copies every texel back and checks it. Also: the same array when asked again, one signal
 * per gpu receiver plus the sender's own, Validation for a slot presented or never
 * acquired, a cancelled hand-over spends its frame number, Unsupported from a HOST sender.
 * The Khronos validation layer is on for both devices; any message of it fails the check.
 * Exit 77 when there is no usable Vulkan device; 0 when every check passed. */
#include <geyser/geyser.h>
#include <vulkan/vulkan.h>

#include "connect_polling.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kWidth = 96, kHeight = 40, kFrames = 6 };

static int failures = 0;
static atomic_int validation_messages = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "vulkan_signals_check: FAILED: %s (last error: %s)\n", what,
            geyser_last_error());
    ++failures;
  }
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                 void* user) {
  (void)user;
  if ((type & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT) != 0) {
    atomic_fetch_add(&validation_messages, 1);
    fprintf(stderr, "vulkan_signals_check: validation (severity %d): %s\n", (int)severity,
            data->pMessage);
  }
  return VK_FALSE;
}

/* One device of the check: its handles, a command buffer and fence on its queue. */
struct gpu {
  geyser_device* device;
  geyser_device_info info;
  VkDebugUtilsMessengerEXT messenger;
  VkCommandPool pool;
  VkCommandBuffer cmd;
  VkFence fence;
  int submitted; /* the fence is pending */
};

static void watch_validation(struct gpu* g) {
  VkInstance instance = g->info.vk_instance;
  PFN_vkCreateDebugUtilsMessengerEXT create =
      (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance,
                                                                "vkCreateDebugUtilsMessengerEXT");
  expect(create != NULL, "the validation layer's VK_EXT_debug_utils is enabled");
  if (create == NULL) return;
  VkDebugUtilsMessengerCreateInfoEXT info = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
  info.pfnUserCallback = on_message;
  expect(create(instance, &info, NULL, &g->messenger) == VK_SUCCESS, "a debug messenger");
}

/* 0 when there is no usable Vulkan device (the check is skipped). */
static int open_gpu(struct gpu* g) {
  memset(g, 0, sizeof *g);
  geyser_device_options options;
  geyser_device_options_init(&options);
  options.validation = 1;
  if (geyser_device_create(GEYSER_API_VULKAN, &options, &g->device) != GEYSER_OK) return 0;
  g->info.struct_size = sizeof g->info;
  expect(geyser_device_get_info(g->device, &g->info) == GEYSER_OK, "device_get_info");
  watch_validation(g);
  VkDevice dev = g->info.vk_device;
  VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = g->info.vk_queue_family_index;
  expect(vkCreateCommandPool(dev, &pool, NULL, &g->pool) == VK_SUCCESS, "a command pool");
  VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = g->pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  expect(vkAllocateCommandBuffers(dev, &alloc, &g->cmd) == VK_SUCCESS, "a command buffer");
  VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  expect(vkCreateFence(dev, &fence, NULL, &g->fence) == VK_SUCCESS, "a fence");
  return 1;
}

static void close_gpu(struct gpu* g) {
  VkDevice dev = g->info.vk_device;
  if (dev != NULL) {
    vkDeviceWaitIdle(dev);
    vkDestroyFence(dev, g->fence, NULL);
    vkDestroyCommandPool(dev, g->pool, NULL);
  }
  if (g->messenger != VK_NULL_HANDLE) {
    PFN_vkDestroyDebugUtilsMessengerEXT destroy =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            g->info.vk_instance, "vkDestroyDebugUtilsMessengerEXT");
    destroy(g->info.vk_instance, g->messenger, NULL);
  }
  geyser_device_destroy(g->device);
}

/* Waits for the command buffer's last submission (the device's queue is not drained by a
 * `gpu` present), then starts recording it again. */
static void begin(struct gpu* g) {
  if (g->submitted) {
    VkDevice dev = g->info.vk_device;
    expect(vkWaitForFences(dev, 1, &g->fence, VK_TRUE, 5000000000ull) == VK_SUCCESS, "the fence");
    vkResetFences(dev, 1, &g->fence);
    g->submitted = 0;
  }
  vkResetCommandBuffer(g->cmd, 0);
  VkCommandBufferBeginInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(g->cmd, &info);
}

static void image_barrier(VkCommandBuffer cmd, VkImageMemoryBarrier2* b) {
  b->sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2;
  b->subresourceRange = (VkImageSubresourceRange){VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  VkDependencyInfo dependency = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
  dependency.imageMemoryBarrierCount = 1;
  dependency.pImageMemoryBarriers = b;
  vkCmdPipelineBarrier2(cmd, &dependency);
}

/* Gives `image` back to VK_QUEUE_FAMILY_EXTERNAL in the shared layout (GENERAL), after the
 * work at `stage` with `access` in layout `from`. */
static void release_to_external(struct gpu* g, VkImage image, VkImageLayout from,
                                VkPipelineStageFlags2 stage, VkAccessFlags2 access) {
  VkImageMemoryBarrier2 release = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  release.srcStageMask = stage;
  release.srcAccessMask = access;
  release.oldLayout = from;
  release.newLayout = VK_IMAGE_LAYOUT_GENERAL;
  release.srcQueueFamilyIndex = g->info.vk_queue_family_index;
  release.dstQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
  release.image = image;
  image_barrier(g->cmd, &release);
}

/* Ends the command buffer and submits it with `signals`; waits for it when `wait` (else the
 * next begin does). */
static void submit(struct gpu* g, const VkSemaphoreSubmitInfo* signals, uint32_t count, int wait) {
  vkEndCommandBuffer(g->cmd);
  VkCommandBufferSubmitInfo command = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
  command.commandBuffer = g->cmd;
  VkSubmitInfo2 info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  info.commandBufferInfoCount = 1;
  info.pCommandBufferInfos = &command;
  info.signalSemaphoreInfoCount = count;
  info.pSignalSemaphoreInfos = signals;
  VkQueue queue = g->info.vk_queue;
  expect(vkQueueSubmit2(queue, 1, &info, g->fence) == VK_SUCCESS, "vkQueueSubmit2");
  g->submitted = 1;
  if (!wait) return;
  VkDevice dev = g->info.vk_device;
  expect(vkWaitForFences(dev, 1, &g->fence, VK_TRUE, 5000000000ull) == VK_SUCCESS, "the fence");
  vkResetFences(dev, 1, &g->fence);
  g->submitted = 0;
}

static uint8_t channel_value(uint64_t frame, int k) {
  return (uint8_t)(frame * 37u + (uint64_t)k * 61u + 5u);
}

/* The sender's frame: the whole image cleared to the frame's colour, then given back to
 * VK_QUEUE_FAMILY_EXTERNAL in the shared layout. The clear overwrites every texel, so the
 * old contents are discarded (UNDEFINED, no ownership acquire). */
static void record_clear(struct gpu* g, VkImage image, uint64_t frame) {
  begin(g);
  VkImageMemoryBarrier2 to_clear = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  to_clear.dstStageMask = VK_PIPELINE_STAGE_2_CLEAR_BIT;
  to_clear.dstAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
  to_clear.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  to_clear.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
  to_clear.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_clear.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_clear.image = image;
  image_barrier(g->cmd, &to_clear);
  VkClearColorValue colour;
  for (int k = 0; k < 4; ++k) colour.float32[k] = (float)channel_value(frame, k) / 255.0f;
  VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdClearColorImage(g->cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
  release_to_external(g, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_2_CLEAR_BIT,
                      VK_ACCESS_2_TRANSFER_WRITE_BIT);
}

/* A host-visible buffer the receiver copies frames into. */
struct readback {
  VkBuffer buffer;
  VkDeviceMemory memory;
  uint8_t* bytes;
};

static uint32_t host_memory_type(const struct gpu* g, uint32_t allowed) {
  VkPhysicalDeviceMemoryProperties props;
  vkGetPhysicalDeviceMemoryProperties(g->info.vk_physical_device, &props);
  const VkMemoryPropertyFlags want =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    if ((allowed & (1u << i)) && (props.memoryTypes[i].propertyFlags & want) == want) return i;
  }
  return UINT32_MAX;
}

static int make_readback(const struct gpu* g, struct readback* r) {
  VkDevice dev = g->info.vk_device;
  VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = (VkDeviceSize)kWidth * kHeight * 4;
  info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (vkCreateBuffer(dev, &info, NULL, &r->buffer) != VK_SUCCESS) return 0;
  VkMemoryRequirements needs;
  vkGetBufferMemoryRequirements(dev, r->buffer, &needs);
  VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = needs.size;
  alloc.memoryTypeIndex = host_memory_type(g, needs.memoryTypeBits);
  if (alloc.memoryTypeIndex == UINT32_MAX) return 0;
  if (vkAllocateMemory(dev, &alloc, NULL, &r->memory) != VK_SUCCESS) return 0;
  if (vkBindBufferMemory(dev, r->buffer, r->memory, 0) != VK_SUCCESS) return 0;
  return vkMapMemory(dev, r->memory, 0, VK_WHOLE_SIZE, 0, (void**)&r->bytes) == VK_SUCCESS;
}

static void free_readback(const struct gpu* g, struct readback* r) {
  VkDevice dev = g->info.vk_device;
  vkDestroyBuffer(dev, r->buffer, NULL);
  vkFreeMemory(dev, r->memory, NULL);
}

/* The receiver's read: acquire from EXTERNAL, copy to the buffer, give the image back. */
static void copy_out(struct gpu* g, VkImage image, const struct readback* r) {
  begin(g);
  VkImageMemoryBarrier2 acquire = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  acquire.dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
  acquire.dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT;
  acquire.oldLayout = VK_IMAGE_LAYOUT_GENERAL;
  acquire.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  acquire.srcQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
  acquire.dstQueueFamilyIndex = g->info.vk_queue_family_index;
  acquire.image = image;
  image_barrier(g->cmd, &acquire);
  VkBufferImageCopy region = {0};
  region.imageSubresource = (VkImageSubresourceLayers){VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = (VkExtent3D){kWidth, kHeight, 1};
  vkCmdCopyImageToBuffer(g->cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, r->buffer, 1,
                         &region);
  release_to_external(g, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_2_COPY_BIT,
                      VK_ACCESS_2_TRANSFER_READ_BIT);
  VkBufferMemoryBarrier2 to_host = {.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2};
  to_host.srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
  to_host.srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
  to_host.dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT;
  to_host.dstAccessMask = VK_ACCESS_2_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = r->buffer;
  to_host.size = VK_WHOLE_SIZE;
  VkDependencyInfo dependency = {.sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
  dependency.bufferMemoryBarrierCount = 1;
  dependency.pBufferMemoryBarriers = &to_host;
  vkCmdPipelineBarrier2(g->cmd, &dependency);
  submit(g, NULL, 0, 1);
}

static int every_texel_is(const struct readback* r, uint64_t frame) {
  for (size_t i = 0; i < (size_t)kWidth * kHeight * 4; ++i) {
    if (r->bytes[i] != channel_value(frame, (int)(i % 4))) return 0;
  }
  return 1;
}

/* The receiver's side of one frame: acquire it, read every texel back, release it. */
static void receive(struct gpu* g, geyser_receiver* receiver, const struct readback* r,
                    uint64_t frame) {
  geyser_frame f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  if (geyser_receiver_acquire(receiver, 5000, &f) != GEYSER_OK) {
    expect(0, "receiver_acquire");
    return;
  }
  expect(f.frame == frame, "the receiver gets the frame presented");
  copy_out(g, (VkImage)(uintptr_t)f.vk_image, r);
  expect(every_texel_is(r, frame), "every texel of the frame, read back by the receiver");
  expect(geyser_receiver_release(receiver) == GEYSER_OK, "receiver_release");
}

static geyser_status acquire_slot(geyser_sender* s, geyser_slot* slot) {
  memset(slot, 0, sizeof *slot);
  slot->struct_size = sizeof *slot;
  return geyser_sender_acquire(s, 2000, slot);
}

/* Acquire, the signals (twice: the same array), the application's submission with them,
 * present; then the receiver reads the frame. */
static void send_one(struct gpu* g, geyser_sender* s, uint32_t expected_signals) {
  geyser_slot slot;
  if (acquire_slot(s, &slot) != GEYSER_OK) {
    expect(0, "sender_acquire");
    return;
  }
  const void* signals = NULL;
  uint32_t count = 0;
  expect(geyser_sender_vk_present_signals(s, &slot, &signals, &count) == GEYSER_OK,
         "sender_vk_present_signals");
  expect(count == expected_signals, "one signal per gpu receiver and the sender's own");
  const void* again = NULL;
  uint32_t again_count = 0;
  expect(geyser_sender_vk_present_signals(s, &slot, &again, &again_count) == GEYSER_OK &&
             again == signals && again_count == count,
         "the same signals when asked again");
  record_clear(g, (VkImage)(uintptr_t)slot.vk_image, slot.frame);
  submit(g, signals, count, 0);
  expect(geyser_sender_present(s, &slot, NULL, 0) == GEYSER_OK, "sender_present");
  expect(
      geyser_sender_vk_present_signals(s, &slot, &again, &again_count) == GEYSER_ERROR_VALIDATION &&
          again == NULL && again_count == 0,
      "a presented slot's signals are Validation");
}

static geyser_receiver* connect_receiver(geyser_sender* s, struct gpu* g, const char* dir) {
  geyser_receiver_options options;
  geyser_receiver_options_init(&options);
  options.runtime_dir = dir;
  options.device = g->device;
  geyser_receiver* r = NULL;
  const geyser_status connected =
      connect_polling(s, "signals", GEYSER_API_VULKAN, &options, 5000, &r);
  expect(connected == GEYSER_OK, "receiver_connect VULKAN");
  return r;
}

/* A slot whose signals were submitted and which was then cancelled: its number is spent. */
static void check_cancel(struct gpu* g, geyser_sender* s) {
  geyser_slot slot;
  if (acquire_slot(s, &slot) != GEYSER_OK) {
    expect(0, "sender_acquire");
    return;
  }
  const void* signals = NULL;
  uint32_t count = 0;
  expect(geyser_sender_vk_present_signals(s, &slot, &signals, &count) == GEYSER_OK,
         "signals before a cancel");
  begin(g);
  submit(g, signals, count, 0);  // spent: this frame cannot be presented again
  geyser_sender_cancel(s, &slot);
  geyser_slot next;
  if (acquire_slot(s, &next) != GEYSER_OK) {
    expect(0, "sender_acquire after cancel");
    return;
  }
  expect(next.frame == slot.frame + 1, "a handed-over frame number is not used again");
  geyser_slot stranger = next;
  stranger.frame += 100;
  expect(
      geyser_sender_vk_present_signals(s, &stranger, &signals, &count) == GEYSER_ERROR_VALIDATION,
      "a slot never acquired is Validation");
  expect(geyser_sender_vk_present_signals(NULL, &next, &signals, &count) == GEYSER_ERROR_VALIDATION,
         "a NULL sender is Validation");
  geyser_sender_cancel(s, &next);
}

static void check_host_sender(const char* dir) {
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = dir;
  geyser_sender* s = NULL;
  if (geyser_sender_publish("host-signals", GEYSER_API_HOST, 8, 8, GEYSER_FORMAT_RGBA8_UNORM,
                            &options, &s) != GEYSER_OK) {
    expect(0, "sender_publish HOST");
    return;
  }
  geyser_slot slot;
  expect(acquire_slot(s, &slot) == GEYSER_OK, "a HOST slot");
  const void* signals = NULL;
  uint32_t count = 0;
  expect(geyser_sender_vk_present_signals(s, &slot, &signals, &count) == GEYSER_ERROR_UNSUPPORTED &&
             strstr(geyser_last_error(), "Vulkan sender") != NULL,
         "a HOST sender's signals are Unsupported, saying why");
  geyser_sender_cancel(s, &slot);
  geyser_sender_destroy(s);
}

static void run(struct gpu* a, struct gpu* b, const char* dir) {
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = dir;
  options.device = a->device;
  geyser_sender* s = NULL;
  if (geyser_sender_publish("signals", GEYSER_API_VULKAN, kWidth, kHeight,
                            GEYSER_FORMAT_RGBA8_UNORM, &options, &s) != GEYSER_OK) {
    expect(0, "sender_publish VULKAN");
    return;
  }
  geyser_receiver* r = connect_receiver(s, b, dir);
  struct readback rb = {0};
  expect(make_readback(b, &rb), "a host-visible readback buffer");
  geyser_sender_stats stats = {.struct_size = sizeof stats};
  expect(geyser_sender_get_stats(s, &stats) == GEYSER_OK, "sender_get_stats");
  printf("sync: %s\n", stats.gpu_sync ? "gpu" : "cpu");
  for (int i = 0; r != NULL && rb.bytes != NULL && i < kFrames; ++i) {
    send_one(a, s, stats.gpu_sync ? 2u : 1u);
    receive(b, r, &rb, stats.frames + 1 + (uint64_t)i);
  }
  check_cancel(a, s);
  if (rb.buffer != VK_NULL_HANDLE) free_readback(b, &rb);
  geyser_receiver_destroy(r);
  geyser_sender_destroy(s);
}

int main(void) {
  expect(geyser_c_api_version() >= 4, "the library has vk_present_signals (version 4)");
  struct gpu a;
  struct gpu b;
  const int usable = open_gpu(&a) && open_gpu(&b);
  if (!usable) {
    close_gpu(&b);
    close_gpu(&a);
    printf("SKIP: no usable Vulkan device with the validation layer: %s\n", geyser_last_error());
    return 77;
  }
  char dir[] = "/tmp/geyser-capi-signals-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  run(&a, &b, dir);
  check_host_sender(dir);
  close_gpu(&b);
  close_gpu(&a);
  rmdir(dir);
  expect(atomic_load(&validation_messages) == 0, "no message of the validation layer");
  if (failures == 0) printf("vulkan_signals_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
