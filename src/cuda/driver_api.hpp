// Internal: the driver API entry points Geyser uses, fetched by name through
// cuGetProcAddress. Each member has the type of the function as cuda.h declares it, so a
// call through it is checked by the compiler like a direct call.
#pragma once

#include <cuda.h>

namespace geyser::cuda::detail {

// Every entry point, by its base name. cuda.h maps some names to versioned symbols with
// macros (cuDevicePrimaryCtxRelease -> cuDevicePrimaryCtxRelease_v2): `#name` below is the
// base name cuGetProcAddress wants, and `decltype(&::name)` the versioned declaration
// whose ABI it returns for CUDA_VERSION.
#define GEYSER_CUDA_ENTRY_POINTS(X)          \
  X(cuInit)                                  \
  X(cuGetErrorName)                          \
  X(cuGetErrorString)                        \
  X(cuDeviceGetCount)                        \
  X(cuDeviceGet)                             \
  X(cuDeviceGetName)                         \
  X(cuDeviceGetUuid)                         \
  X(cuDeviceGetAttribute)                    \
  X(cuDevicePrimaryCtxRetain)                \
  X(cuDevicePrimaryCtxRelease)               \
  X(cuCtxPushCurrent)                        \
  X(cuCtxPopCurrent)                         \
  X(cuStreamCreate)                          \
  X(cuStreamDestroy)                         \
  X(cuStreamQuery)                           \
  X(cuStreamSynchronize)                     \
  X(cuStreamWaitEvent)                       \
  X(cuEventCreate)                           \
  X(cuEventRecord)                           \
  X(cuEventDestroy)                          \
  X(cuMemAlloc)                              \
  X(cuMemFree)                               \
  X(cuMemsetD8Async)                         \
  X(cuMemcpyDtoHAsync)                       \
  X(cuMemcpy2DAsync)                         \
  X(cuImportExternalMemory)                  \
  X(cuDestroyExternalMemory)                 \
  X(cuExternalMemoryGetMappedBuffer)         \
  X(cuExternalMemoryGetMappedMipmappedArray) \
  X(cuMipmappedArrayGetLevel)                \
  X(cuMipmappedArrayDestroy)                 \
  X(cuSurfObjectCreate)                      \
  X(cuSurfObjectDestroy)                     \
  X(cuImportExternalSemaphore)               \
  X(cuDestroyExternalSemaphore)              \
  X(cuWaitExternalSemaphoresAsync)           \
  X(cuSignalExternalSemaphoresAsync)         \
  X(cuModuleLoadData)                        \
  X(cuModuleUnload)                          \
  X(cuModuleGetFunction)                     \
  X(cuLaunchKernel)

struct DriverApi {
#define GEYSER_CUDA_MEMBER(name) decltype(&::name) name = nullptr;
  GEYSER_CUDA_ENTRY_POINTS(GEYSER_CUDA_MEMBER)
#undef GEYSER_CUDA_MEMBER
};

}  // namespace geyser::cuda::detail
