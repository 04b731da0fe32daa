/* geyser.h: Geyser's C API (docs/c-api.md), over named channels of shared textures.
 *
 * A stable ABI for every language and engine: opaque handles, plain structs that begin
 * with their own size, integer enums, and a geyser_status from every call that can fail.
 * On a failure the calling thread's geyser_last_error() says what went wrong; no C++
 * exception ever crosses this boundary. Link libgeyser (pkg-config geyser, or the CMake
 * package's geyser::geyser); it needs no Vulkan, GL or CUDA headers of its own: native
 * handles are passed as void pointers (dispatchable objects, CUstream, CUarray) and 64-bit
 * integers (VkImage, CUdeviceptr).
 *
 * Threads: each handle is used from one thread at a time; the event fds may be watched
 * from any. Nothing here is a C++ object: free what you create with its destroy call. */
#ifndef GEYSER_GEYSER_H
#define GEYSER_GEYSER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GEYSER_C_API_BUILD)
#define GEYSER_API __attribute__((visibility("default")))
#else
#define GEYSER_API
#endif

/* The version of this header. geyser_c_api_version() gives the library's: a library
 * serves callers built with an equal or older version. */
#define GEYSER_C_API_VERSION 6
GEYSER_API uint32_t geyser_c_api_version(void);

/* ---- Errors ------------------------------------------------------------------------ */

/* GEYSER_OK, or what went wrong (the C++ geyser::ErrorCode, plus one). */
typedef enum geyser_status {
  GEYSER_OK = 0,
  GEYSER_ERROR_VALIDATION = 1,  /* an argument or handle is malformed or out of range */
  GEYSER_ERROR_UNSUPPORTED = 2, /* the device, driver or build cannot do it */
  GEYSER_ERROR_OUT_OF_MEMORY = 3,
  GEYSER_ERROR_DEVICE_LOST = 4,
  GEYSER_ERROR_DEVICE_MISMATCH = 5,   /* the sender's memory lives on another device */
  GEYSER_ERROR_DISCONNECTED = 6,      /* the peer went away (a receiver reconnects later) */
  GEYSER_ERROR_TIMEOUT = 7,           /* nothing came in time (no new frame, no free slot) */
  GEYSER_ERROR_PERMISSION_DENIED = 8, /* the OS or a peer check refused (another user) */
  GEYSER_ERROR_PROTOCOL = 9,          /* a peer sent a malformed or unexpected message */
  GEYSER_ERROR_INTERNAL = 10          /* a driver error or a bug */
} geyser_status;

/* "Timeout", "DeviceMismatch", ...; "Unknown" for a value outside the enum. Static. */
GEYSER_API const char* geyser_status_name(geyser_status status);
/* The message of this thread's last failure ("Timeout: acquire: no new frame within 100
 * ms"); "" when none. Valid until this thread's next Geyser call. */
GEYSER_API const char* geyser_last_error(void);
/* The code of this thread's last failure; GEYSER_OK when none. */
GEYSER_API geyser_status geyser_last_status(void);

/* ---- Formats and the graphics APIs ------------------------------------------------- */

/* The texture formats (the C++ geyser::TextureFormat, in its order). */
typedef enum geyser_format {
  GEYSER_FORMAT_RGBA8_UNORM = 0,
  GEYSER_FORMAT_BGRA8_UNORM,
  GEYSER_FORMAT_RGBA8_SRGB,
  GEYSER_FORMAT_BGRA8_SRGB,
  GEYSER_FORMAT_RGBA8_SNORM,
  GEYSER_FORMAT_RGBA8_UINT,
  GEYSER_FORMAT_R8_UNORM,
  GEYSER_FORMAT_RG8_UNORM,
  GEYSER_FORMAT_R16_UNORM,
  GEYSER_FORMAT_RG16_UNORM,
  GEYSER_FORMAT_RGBA16_UNORM,
  GEYSER_FORMAT_R16_FLOAT,
  GEYSER_FORMAT_RG16_FLOAT,
  GEYSER_FORMAT_RGBA16_FLOAT,
  GEYSER_FORMAT_R16_UINT,
  GEYSER_FORMAT_R16_SINT,
  GEYSER_FORMAT_RGBA16_UINT,
  GEYSER_FORMAT_R32_FLOAT,
  GEYSER_FORMAT_RG32_FLOAT,
  GEYSER_FORMAT_RGBA32_FLOAT,
  GEYSER_FORMAT_R32_UINT,
  GEYSER_FORMAT_R32_SINT,
  GEYSER_FORMAT_RGB10A2_UNORM,
  GEYSER_FORMAT_RG11B10_FLOAT,
  GEYSER_FORMAT_DEPTH16_UNORM,
  GEYSER_FORMAT_DEPTH32_FLOAT,
  GEYSER_FORMAT_DEPTH24_PLUS,
  GEYSER_FORMAT_DEPTH24_PLUS_STENCIL8
} geyser_format;

/* What one format is. */
typedef struct geyser_format_info {
  uint32_t struct_size; /* set by the caller: sizeof(geyser_format_info) */
  const char* name;     /* "Rgba8Unorm" (static) */
  uint32_t texel_size;  /* bytes per texel, tightly packed */
  uint32_t channels;    /* components per texel */
  uint32_t vk_format;   /* VkFormat */
  uint32_t gl_internal_format;
} geyser_format_info;

/* Validation for a value outside the enum. */
GEYSER_API geyser_status geyser_format_get_info(geyser_format format, geyser_format_info* out);
/* Parses "rgba8unorm", "Rgba8Unorm" or "rgba8" (= Rgba8Unorm), case-insensitively;
 * Validation for an unknown name. */
GEYSER_API geyser_status geyser_format_from_name(const char* name, geyser_format* out);

/* Which graphics API a sender writes with or a receiver reads with. */
typedef enum geyser_api {
  GEYSER_API_HOST = 0,   /* host memory, no GPU needed: receivers take host frames (read-only
                            mappings); senders write frames with the CPU (since version 3) */
  GEYSER_API_VULKAN = 1, /* a geyser_device of Vulkan (one made for the handle by default) */
  GEYSER_API_OPENGL = 2, /* the GL context current on the calling thread (EGL) */
  GEYSER_API_CUDA = 3    /* a geyser_device of CUDA (device 0 by default) */
} geyser_api;

/* Whether this library was built with `api` and can use it on this machine now (a CUDA
 * build on a machine without the driver: Unsupported, saying so; OPENGL: Unsupported
 * unless a context that imports memory objects is current on the calling thread).
 * GEYSER_OK when it can. */
GEYSER_API geyser_status geyser_api_available(geyser_api api);

/* ---- Devices ----------------------------------------------------------------------- */

/* A Vulkan device or a CUDA context a sender or receiver works on. Reference-counted:
 * senders and receivers keep the devices they were given, so destroy the handle whenever
 * you like. */
typedef struct geyser_device geyser_device;

/* Which device: every selector that is set (index, name_contains, uuid) must match. */
typedef struct geyser_device_options {
  uint32_t struct_size;      /* sizeof(geyser_device_options) */
  int32_t index;             /* Vulkan: vkEnumeratePhysicalDevices index; CUDA: the ordinal;
                                -1: the default (a GPU first for Vulkan, ordinal 0 for CUDA) */
  const char* name_contains; /* a device whose name contains it (Vulkan: the best-ranked
                                such; CUDA: the first); NULL: any */
  int32_t validation;        /* Vulkan: 1 enables the Khronos validation layer, 0 does not,
                                -1 follows GEYSER_VALIDATION=1 */
  /* Since C API version 2 (a struct_size that ends before it: NULL). */
  const uint8_t* uuid; /* 16 bytes: the device whose deviceUUID (Vulkan) or CUDA UUID is
                          this, as geyser_device_info.uuid and `geyser info` give it (the
                          same for one GPU's Vulkan and CUDA devices); NULL: any */
} geyser_device_options;

/* Since C API version 6: fills the first `struct_size` bytes of *options, the size of the
 * caller's struct, and not one byte past them: zeros, then struct_size (the smaller of
 * `struct_size` and this library's sizeof: a struct from a newer header gets only this
 * library's fields) and each default whose field lies wholly inside (index and validation
 * -1; name_contains and uuid NULL). Validation, naming the size given and the smallest
 * accepted, for a NULL `options` or a `struct_size` below version 1's struct (24 bytes on
 * 64-bit targets). Call it as geyser_device_options_init(&options), which passes sizeof the
 * struct of the header you build with. */
GEYSER_API geyser_status geyser_device_options_init_sized(geyser_device_options* options,
                                                          size_t struct_size);
#define geyser_device_options_init(options) \
  geyser_device_options_init_sized((options), sizeof *(options))
/* For binaries built with version 5 or older; writes the version-5 struct. (The name in
 * parentheses is the exported function, not the macro.) */
GEYSER_API void(geyser_device_options_init)(geyser_device_options* options);
/* A headless Vulkan device (GEYSER_API_VULKAN) or a CUDA device's primary context
 * (GEYSER_API_CUDA, the one the CUDA runtime, PyTorch and CuPy use) chosen by `options`,
 * which may be NULL (the default device). Unsupported without the driver, or for a Vulkan
 * device that lacks what Geyser needs; Validation for an index, UUID or name that no device
 * the driver lists has (the message names what was asked and lists the devices). */
GEYSER_API geyser_status geyser_device_create(geyser_api api, const geyser_device_options* options,
                                              geyser_device** out);

/* An application's Vulkan device, which Geyser works on and never destroys: created with
 * the extensions geyser::vulkan::kRequiredDeviceExtensions names and the timelineSemaphore
 * and synchronization2 features (docs/c-api.md). The handles are VkInstance, ... cast to
 * void*; they must outlive every sender and receiver made on it. */
typedef struct geyser_vulkan_adopt_info {
  uint32_t struct_size; /* sizeof(geyser_vulkan_adopt_info) */
  void* instance;
  void* physical_device;
  void* device;
  void* queue;
  uint32_t queue_family_index;
  const char* const* device_extensions; /* what the device was created with */
  uint32_t device_extension_count;
} geyser_vulkan_adopt_info;
GEYSER_API geyser_status geyser_device_adopt_vulkan(const geyser_vulkan_adopt_info* info,
                                                    geyser_device** out);

/* What a device is, and its native handles for the application's own work on it. */
typedef struct geyser_device_info {
  uint32_t struct_size; /* sizeof(geyser_device_info) */
  geyser_api api;
  char name[256];   /* "NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)" */
  uint8_t uuid[16]; /* the deviceUUID (the same for a GPU's Vulkan and CUDA devices) */
  /* Vulkan: VkInstance, VkPhysicalDevice, VkDevice, VkQueue and its family. */
  void* vk_instance;
  void* vk_physical_device;
  void* vk_device;
  void* vk_queue;
  uint32_t vk_queue_family_index;
  /* CUDA: the CUcontext and the ordinal. */
  void* cuda_context;
  int32_t cuda_ordinal;
} geyser_device_info;
GEYSER_API geyser_status geyser_device_get_info(const geyser_device* device,
                                                geyser_device_info* out);
/* Drops this handle's reference; NULL is ignored. */
GEYSER_API void geyser_device_destroy(geyser_device* device);

/* ---- Listing channels -------------------------------------------------------------- */

typedef struct geyser_channel_info {
  uint32_t struct_size; /* sizeof(geyser_channel_info) */
  char name[128];
  int32_t alive; /* 0: a stale socket, or the sender did not answer (see `error`) */
  uint32_t width;
  uint32_t height;
  geyser_format format;
  double fps;      /* the sender's frame rate */
  uint64_t frames; /* frames presented so far */
  uint32_t receivers;
  uint32_t host_receivers; /* of them, those that take host frames */
  int32_t gpu_sync;        /* 1: timeline semaphores; 0: CPU-fenced */
  uint32_t sender_pid;
  char error[256]; /* why not alive */
} geyser_channel_info;

/* The channels this user publishes in `runtime_dir` (NULL: $GEYSER_RUNTIME_DIR, then
 * $XDG_RUNTIME_DIR/geyser), each sender asked to describe itself within `timeout_ms`.
 * Writes at most `capacity` entries to `out`, out[0].struct_size bytes apart (0: this
 * library's size), and their number, which may be larger, to `*count`: call with capacity 0
 * to learn it. */
GEYSER_API geyser_status geyser_list_channels(const char* runtime_dir, int32_t timeout_ms,
                                              geyser_channel_info* out, size_t capacity,
                                              size_t* count);

/* ---- Receivers --------------------------------------------------------------------- */

typedef struct geyser_receiver geyser_receiver;

/* Zero-copy or host frames (docs/host-frames.md). */
typedef enum geyser_transfer {
  GEYSER_TRANSFER_AUTO = 0,   /* zero-copy on the sender's device, host frames otherwise */
  GEYSER_TRANSFER_DEVICE = 1, /* zero-copy only: another device is DeviceMismatch */
  GEYSER_TRANSFER_HOST = 2    /* host frames always */
} geyser_transfer;

typedef enum geyser_receiver_state {
  GEYSER_RECEIVER_CONNECTED = 0,
  GEYSER_RECEIVER_WAITING = 1,     /* connected, no stream description yet */
  GEYSER_RECEIVER_DISCONNECTED = 2 /* the sender is gone; acquire reconnects */
} geyser_receiver_state;

typedef struct geyser_receiver_options {
  uint32_t struct_size;         /* sizeof(geyser_receiver_options) */
  const char* runtime_dir;      /* NULL: the default (as geyser_list_channels) */
  geyser_device* device;        /* Vulkan or CUDA receivers; NULL: one is made (a headless
                                   Vulkan device; CUDA device 0) */
  geyser_transfer transfer;     /* Vulkan receivers (host receivers always take host frames) */
  int32_t handshake_timeout_ms; /* -1: 2000 */
  int32_t gpu_timeout_ms;       /* -1: 10000 */
  /* Since C API version 5 (a struct_size that ends before it: -1). On 64-bit targets it
   * lies where version 4's struct had padding, so version 4's struct_size covers it: a
   * version-4 caller that filled the struct with geyser_receiver_options_init has -1. */
  int32_t spin_us; /* how long acquire watches the board for the next frame before it sleeps,
                      in microseconds (only while its last wait was that short, on a machine
                      of two CPUs or more): -1: 20; 0: never, as in a zero-filled struct;
                      at most GEYSER_RECEIVER_MAX_SPIN_US; anything else is Validation */
} geyser_receiver_options;

/* The most geyser_receiver_options.spin_us takes: one second of spinning. */
#define GEYSER_RECEIVER_MAX_SPIN_US 1000000

/* Since C API version 6: fills the first `struct_size` bytes of *options, the size of the
 * caller's struct, and not one byte past them: zeros, then struct_size (the smaller of
 * `struct_size` and this library's sizeof) and each default whose field lies wholly inside
 * (transfer AUTO; handshake_timeout_ms, gpu_timeout_ms and spin_us -1; runtime_dir and
 * device NULL). Validation, naming the size given and the smallest accepted, for a NULL
 * `options` or a `struct_size` below version 4's struct, the one before spin_us (40 bytes
 * on 64-bit targets, where spin_us lies in its tail padding; 24 on 32-bit ones). Call it as
 * geyser_receiver_options_init(&options), which passes sizeof the struct of the header you
 * build with. */
GEYSER_API geyser_status geyser_receiver_options_init_sized(geyser_receiver_options* options,
                                                            size_t struct_size);
#define geyser_receiver_options_init(options) \
  geyser_receiver_options_init_sized((options), sizeof *(options))
/* For binaries built with version 5 or older; writes the version-5 struct. (The name in
 * parentheses is the exported function, not the macro.) */
GEYSER_API void(geyser_receiver_options_init)(geyser_receiver_options* options);

/* Connects to channel `name` with `api`, waiting at most `timeout_ms` for a sender to
 * publish it and answer. `options` may be NULL. Disconnected when no sender appears in
 * time; DeviceMismatch or Unsupported when its frames cannot be taken this way. */
GEYSER_API geyser_status geyser_receiver_connect(const char* name, geyser_api api,
                                                 const geyser_receiver_options* options,
                                                 int32_t timeout_ms, geyser_receiver** out);
/* Releases the held frame and disconnects; NULL is ignored. */
GEYSER_API void geyser_receiver_destroy(geyser_receiver* receiver);

/* How a frame's texels lie. */
typedef enum geyser_tiling { GEYSER_TILING_OPTIMAL = 0, GEYSER_TILING_LINEAR = 1 } geyser_tiling;

/* A frame the receiver holds, valid until geyser_receiver_release() or the next acquire
 * (even when the sender dies meanwhile). The native part that the receiver's api fills:
 * - HOST: `host_data`, `height` rows of `row_pitch` bytes, mapped read-only.
 * - VULKAN: `vk_image` (a VkImage in the shared layout VK_IMAGE_LAYOUT_GENERAL, owned by
 *   VK_QUEUE_FAMILY_EXTERNAL: docs/c-api.md) on the device's queue (host frames are
 *   uploaded into an image of the receiver's device).
 * - OPENGL: `gl_texture`, a GL_TEXTURE_2D name in the current context.
 * - CUDA: `cuda_array` (an optimal stream's CUarray) or `cuda_data` and `row_pitch` (a
 *   linear stream's device pointer), readable by work queued on `cuda_stream`, on the
 *   CUDA device `cuda_ordinal` (0 for the other APIs). */
typedef struct geyser_frame {
  uint32_t struct_size; /* sizeof(geyser_frame) */
  uint64_t frame;       /* the sender's frame number (1, 2, ...) */
  uint64_t generation;
  uint64_t timestamp_ns; /* the sender's CLOCK_MONOTONIC at present */
  uint64_t connection;   /* which connection (1, 2, ... across reconnects) */
  uint32_t width;
  uint32_t height;
  geyser_format format;
  geyser_tiling tiling;
  uint32_t row_pitch;      /* linear frames and host frames: bytes between rows; else 0 */
  const uint8_t* metadata; /* what the sender gave present (metadata_size bytes, at most 256) */
  uint32_t metadata_size;
  const void* host_data;
  uint64_t vk_image;
  uint32_t gl_texture;
  void* cuda_array;
  uint64_t cuda_data;
  void* cuda_stream;
  int32_t cuda_ordinal;
} geyser_frame;

/* The newest frame since the last acquire, waiting at most `timeout_ms` for one to be
 * announced (a frame announced but not yet written, such as a host frame whose copy is
 * under way, gets at least 100 ms more); releases the frame held before. Timeout when no
 * new frame came; Disconnected when the sender is gone (the
 * held frame stays valid; later calls reconnect). `out->struct_size` must be set. */
GEYSER_API geyser_status geyser_receiver_acquire(geyser_receiver* receiver, int32_t timeout_ms,
                                                 geyser_frame* out);
/* Gives the held frame back to the sender after the work that reads it (Vulkan: submitted to
 * the device's queue; GL: issued; CUDA: queued on cuda_stream or on the streams given to
 * geyser_receiver_cuda_wait). Nothing to do when none is held. */
GEYSER_API geyser_status geyser_receiver_release(geyser_receiver* receiver);
GEYSER_API geyser_receiver_state geyser_receiver_get_state(const geyser_receiver* receiver);
/* Readable when the sender has sent something (a frame, its close): call acquire(0) then.
 * Owned by the receiver. */
GEYSER_API int geyser_receiver_event_fd(const geyser_receiver* receiver);

typedef struct geyser_receiver_stats {
  uint32_t struct_size; /* sizeof(geyser_receiver_stats) */
  uint64_t frames_acquired;
  uint64_t frames_skipped; /* presented but superseded before acquire */
  uint64_t reconnects;
  uint64_t imports;
  int32_t gpu_sync;    /* 1: timeline semaphores on the GPU; 0: CPU-fenced */
  int32_t host_frames; /* 1: host frames; 0: zero-copy */
  geyser_tiling tiling;
  uint32_t row_pitch;
} geyser_receiver_stats;
GEYSER_API geyser_status geyser_receiver_get_stats(const geyser_receiver* receiver,
                                                   geyser_receiver_stats* out);

/* CUDA receivers: makes `stream` (a CUstream; NULL or 1 the legacy default stream, 2 the
 * per-thread one) wait for the held frame, and the frame's release wait for the work
 * queued on `stream` until then. Validation when no frame is held or the receiver is not a
 * CUDA one. */
GEYSER_API geyser_status geyser_receiver_cuda_wait(geyser_receiver* receiver, void* stream);
/* CUDA receivers: the held frame as rows of device memory. A linear stream's frame is its
 * own memory (no copy: *data = cuda_data); an optimal stream's frame is copied once, on the
 * receiver's stream, into a buffer the receiver owns and reuses (docs/c-api.md). The rows
 * are `*row_pitch` bytes apart; order your reads with geyser_receiver_cuda_wait. */
GEYSER_API geyser_status geyser_receiver_cuda_rows(geyser_receiver* receiver, uint64_t* data,
                                                   uint64_t* row_pitch);

/* What keeps a held frame's memory (a host mapping, an imported CUDA buffer) from being
 * unmapped or freed while a view of it lives (a numpy array, a tensor): retain one before
 * handing out such a view, free it with the view. It keeps the memory, not the frame: after
 * release the sender may write the slot again. */
typedef struct geyser_memory_ref geyser_memory_ref;
/* A reference to the held frame's memory; Validation when no frame is held. */
GEYSER_API geyser_status geyser_receiver_retain_memory(geyser_receiver* receiver,
                                                       geyser_memory_ref** out);
GEYSER_API void geyser_memory_ref_free(geyser_memory_ref* ref);

/* CUDA receivers: the held frame as a DLPack DLManagedTensor (dlpack.h, version 0.x; a
 * void* here), uint8 or the format's element type, shape (height, width, channels),
 * strides from the row pitch, on kDLCUDA, after geyser_receiver_cuda_rows and
 * geyser_receiver_cuda_wait(`stream`). Host frames of any receiver: on kDLCPU. Its deleter
 * frees it (and the memory reference it holds). */
GEYSER_API geyser_status geyser_receiver_dlpack(geyser_receiver* receiver, void* stream,
                                                void** managed_tensor);

/* ---- Senders ----------------------------------------------------------------------- */

typedef struct geyser_sender geyser_sender;

typedef struct geyser_sender_options {
  uint32_t struct_size;    /* sizeof(geyser_sender_options) */
  const char* runtime_dir; /* NULL: the default */
  geyser_device* device;   /* Vulkan or CUDA senders; NULL: one is made */
  uint32_t slots;          /* ring slots at first, 2..16; 0: 3 */
  geyser_tiling tiling;    /* LINEAR: rows at a pitch, CUDA receivers get pointers (Vulkan
                              senders only) */
  uint32_t max_receivers;  /* 0: 16 */
  int32_t gpu_timeout_ms;  /* -1: 10000 */
} geyser_sender_options;

/* Since C API version 6: fills the first `struct_size` bytes of *options, the size of the
 * caller's struct, and not one byte past them: zeros, then struct_size (the smaller of
 * `struct_size` and this library's sizeof) and each default whose field lies wholly inside
 * (gpu_timeout_ms -1; the rest 0 or NULL, their defaults). Validation, naming the size given
 * and the smallest accepted, for a NULL `options` or a `struct_size` below sizeof the
 * struct (unchanged since version 1). Call it as geyser_sender_options_init(&options),
 * which passes sizeof the struct of the header you build with. */
GEYSER_API geyser_status geyser_sender_options_init_sized(geyser_sender_options* options,
                                                          size_t struct_size);
#define geyser_sender_options_init(options) \
  geyser_sender_options_init_sized((options), sizeof *(options))
/* For binaries built with version 5 or older; writes the version-5 struct. (The name in
 * parentheses is the exported function, not the macro.) */
GEYSER_API void(geyser_sender_options_init)(geyser_sender_options* options);

/* Publishes channel `name` (letters, digits, '.', '_', '-'; at most 64) with `width` x
 * `height` textures of `format`, written with `api` (VULKAN, OPENGL, CUDA, or since C API
 * version 3 HOST: frames in host memory, which every receiver takes as host frames; one
 * that takes zero-copy only is refused with DeviceMismatch). Validation when a live sender
 * holds the name. `options` may be NULL (a HOST sender takes no device and no LINEAR). */
GEYSER_API geyser_status geyser_sender_publish(const char* name, geyser_api api, uint32_t width,
                                               uint32_t height, geyser_format format,
                                               const geyser_sender_options* options,
                                               geyser_sender** out);
/* Unpublishes (receivers see Disconnected); NULL is ignored. */
GEYSER_API void geyser_sender_destroy(geyser_sender* sender);

/* A slot to write the next frame into, by the sender's api:
 * - VULKAN: `vk_image` (owned by VK_QUEUE_FAMILY_EXTERNAL in the shared layout; acquire it
 *   on your queue and release it back before present: docs/c-api.md);
 * - OPENGL: `gl_texture`;
 * - CUDA: `cuda_array` and `cuda_surface`, written by work queued on `cuda_stream`;
 * - HOST: `host_data`, written by the CPU before present. */
typedef struct geyser_slot {
  uint32_t struct_size; /* sizeof(geyser_slot) */
  uint64_t frame;       /* the number it will be presented as */
  uint32_t slot;
  uint64_t generation;
  uint64_t vk_image;
  uint32_t gl_texture;
  void* cuda_array;
  uint64_t cuda_surface;
  void* cuda_stream;
  /* Since C API version 3 (a struct_size that ends before them: not filled, and a HOST
   * sender's acquire is Validation). */
  void* host_data;       /* HOST: height rows of host_row_pitch bytes, writable until present
                            or cancel; owned by the sender */
  size_t host_row_pitch; /* HOST: width x texel size (tightly packed) */
} geyser_slot;

/* Starts a new generation of `width` x `height` textures of `format` (a size or format
 * change): receivers re-import and see the new description from their next frame on.
 * Validation while a slot is acquired and neither presented nor cancelled, or for a size
 * or format publish would refuse; on a failure the stream stays as it was. */
GEYSER_API geyser_status geyser_sender_resize(geyser_sender* sender, uint32_t width,
                                              uint32_t height, geyser_format format);

/* A free slot, waiting at most `timeout_ms` for receivers to release one (Timeout). */
GEYSER_API geyser_status geyser_sender_acquire(geyser_sender* sender, int32_t timeout_ms,
                                               geyser_slot* out);
/* Announces the frame written into `slot` (Vulkan: submitted to the device's queue before;
 * GL: issued; CUDA: queued on its stream), with `metadata_size` (at most 256) bytes of
 * metadata delivered with it. On a failure the slot goes back to the ring. */
GEYSER_API geyser_status geyser_sender_present(geyser_sender* sender, const geyser_slot* slot,
                                               const void* metadata, size_t metadata_size);
/* Since C API version 4. VULKAN senders: the semaphore signals that announce `slot`'s frame
 * to the receivers, `*count` VkSemaphoreSubmitInfo at `*signals` (a
 * `const VkSemaphoreSubmitInfo*` here), for the application to add to the
 * pSignalSemaphoreInfos of its own vkQueueSubmit2 that writes the frame, on the device's
 * queue (geyser_device_info.vk_queue); present then submits none of its own for them. Submit
 * them once, before present; once submitted, present the frame (a cancelled one's number is
 * not handed out again). The same array when called again for the slot; it is the sender's,
 * valid until present or cancel (docs/c-api.md, "Signals in your own submission").
 * Validation for a slot that is not outstanding; Unsupported for the other APIs. */
GEYSER_API geyser_status geyser_sender_vk_present_signals(geyser_sender* sender,
                                                          const geyser_slot* slot,
                                                          const void** signals, uint32_t* count);
/* Gives an acquired slot back unwritten. */
GEYSER_API void geyser_sender_cancel(geyser_sender* sender, const geyser_slot* slot);

/* acquire + a copy + present: `height` rows of width x texel size bytes, `row_pitch` bytes
 * apart (0: tightly packed), from host memory. The frame's number goes to `*frame` (may be
 * NULL). */
GEYSER_API geyser_status geyser_sender_write(geyser_sender* sender, const void* data,
                                             size_t row_pitch, int32_t timeout_ms, uint64_t* frame);
/* CUDA senders: the same from device memory `data` (a CUdeviceptr) written by work queued
 * on `stream` (a CUstream; NULL or 1 the legacy default stream); later work on `stream` is
 * ordered after the copy, so the caller may free or rewrite `data` as usual. */
GEYSER_API geyser_status geyser_sender_write_cuda(geyser_sender* sender, uint64_t data,
                                                  size_t row_pitch, void* stream,
                                                  int32_t timeout_ms, uint64_t* frame);
/* The same from a DLPack DLManagedTensor (void* here), whose deleter this call runs once
 * the copy no longer needs it (also on failure): uint8 or the format's element type, shape
 * (height, width, channels) or (height, width) for one channel, rows contiguous, on kDLCPU
 * (any sender) or kDLCUDA (CUDA senders), produced on `stream`. */
GEYSER_API geyser_status geyser_sender_write_dlpack(geyser_sender* sender, void* managed_tensor,
                                                    void* stream, int32_t timeout_ms,
                                                    uint64_t* frame);

/* Accepts receivers, answers listers, reads what receivers sent; waits at most `timeout_ms`
 * for something to happen. Call it when not presenting, or when the event fd is readable. */
GEYSER_API geyser_status geyser_sender_poll(geyser_sender* sender, int32_t timeout_ms);
/* Readable while there is work for poll. Owned by the sender. */
GEYSER_API int geyser_sender_event_fd(const geyser_sender* sender);

typedef struct geyser_sender_stats {
  uint32_t struct_size; /* sizeof(geyser_sender_stats) */
  uint64_t frames;      /* frames presented */
  double fps;
  uint32_t receivers;
  uint32_t host_receivers;
  uint64_t generation;
  int32_t gpu_sync; /* 1: timeline semaphores; 0: CPU-fenced */
  uint64_t dropped_connections;
  /* Since C API version 5 (a struct_size that ends before it: not written). */
  uint64_t wakes_skipped; /* presents that woke nobody: no receiver could be asleep on the
                             board (none was connected, or each was looking at it or
                             spinning; docs/protocol.md, "Sleepers") */
} geyser_sender_stats;
GEYSER_API geyser_status geyser_sender_get_stats(const geyser_sender* sender,
                                                 geyser_sender_stats* out);

#ifdef __cplusplus
}
#endif

#endif /* GEYSER_GEYSER_H */
