/* The control interface of the fault-injection layer (VK_LAYER_GEYSER_fault_injection).
 *
 * The layer sits in the Vulkan call chain like any layer and sees every call Geyser makes.
 * A test dlopen()s the layer's library before it creates an instance (the loader's later
 * dlopen of the same path returns the same copy), looks these functions up with dlsym and
 * drives it: one recording run lists the calls that can fail, then one run per call fails
 * that call once. Calls are named per owner (the instance or device they belong to, by
 * creation order) and occurrence, so that the threads of a sender and a receiver on two
 * devices cannot reorder them. C linkage: no C++ crosses the dlsym boundary. */
#ifndef GEYSER_FAULT_CONTROL_H
#define GEYSER_FAULT_CONTROL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Vulkan objects the layer counts, created minus destroyed, over every instance. */
enum geyser_fault_kind {
  GEYSER_FAULT_INSTANCE,
  GEYSER_FAULT_DEVICE,
  GEYSER_FAULT_MEMORY,
  GEYSER_FAULT_IMAGE,
  GEYSER_FAULT_BUFFER,
  GEYSER_FAULT_SEMAPHORE,
  GEYSER_FAULT_FENCE,
  GEYSER_FAULT_COMMAND_POOL,
  GEYSER_FAULT_DEBUG_MESSENGER,
  GEYSER_FAULT_KIND_COUNT
};

/* Owners created during a run are numbered from this, in creation order, so that the
 * owners of two runs of the same scenario compare equal. */
#define GEYSER_FAULT_NEW_OWNER 1000

/* Starts a run: clears the log and the occurrence counts. With `name` non-null, the
 * `occurrence`-th call (from 0) named `name` made on owner `owner` returns an error
 * instead of reaching the driver. With `name` null, nothing fails and every failable call
 * is logged. */
void geyser_fault_begin(int owner, const char* name, int occurrence);

/* Ends the run; 1 when the armed call was reached and failed, else 0. */
int geyser_fault_end(void);

/* The calls logged by the last recording run, in the order they were made. */
size_t geyser_fault_log_size(void);
/* Entry `index` of the log: its owner, its name (valid until the next begin) and its
 * occurrence. 0 when `index` is out of range. */
int geyser_fault_log_entry(size_t index, int* owner, const char** name, int* occurrence);

/* The error the armed call returned (a VkResult), 0 when nothing failed yet. */
int geyser_fault_result(void);

/* Live objects of `kind` (created and not yet destroyed) over every instance. */
long geyser_fault_live(enum geyser_fault_kind kind);
/* The name of `kind`, for messages ("VkImage"). */
const char* geyser_fault_kind_name(enum geyser_fault_kind kind);

/* Instances and devices created since the library was loaded: how a test checks that
 * the layer is in the chain at all. */
int geyser_fault_owners_created(void);

#ifdef __cplusplus
}
#endif

#endif /* GEYSER_FAULT_CONTROL_H */
