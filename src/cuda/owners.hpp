// Internal: one move-only owner per CUDA object type Geyser creates. Each keeps the primary
// context it was made in alive and current while destroying the object, so an owner may
// outlive the Context it came from and be destroyed on any thread.
#pragma once

#include <cuda.h>

#include <atomic>
#include <cstdint>
#include <utility>

#include "primary_context.hpp"

namespace geyser::cuda::detail {

/// Owns one `Traits::Handle`, destroyed with Traits::destroy. Empty when default-made or
/// moved from. Counts the handles of its type alive in the process (live(): what
/// cuda::live_objects() reports).
template <typename Traits>
class Owner {
 public:
  using Handle = typename Traits::Handle;
  Owner() = default;
  /// Takes `handle`, made in `context`.
  Owner(SharedContext context, Handle handle) noexcept
      : context_(std::move(context)), handle_(handle) {
    if (handle_ != Handle{}) live_.fetch_add(1, std::memory_order_relaxed);
  }
  Owner(Owner&& other) noexcept
      : context_(std::move(other.context_)), handle_(std::exchange(other.handle_, Handle{})) {}
  Owner& operator=(Owner&& other) noexcept {
    if (this != &other) {
      reset();
      context_ = std::move(other.context_);
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  ~Owner() { reset(); }

  [[nodiscard]] Handle get() const noexcept { return handle_; }
  [[nodiscard]] const SharedContext& context() const noexcept { return context_; }
  /// Handles of this type owned and not yet destroyed, in the whole process.
  [[nodiscard]] static std::uint64_t live() noexcept {
    return live_.load(std::memory_order_relaxed);
  }

  void reset() noexcept {
    if (handle_ != Handle{}) {
      // The destroy calls need no particular current context for most types, but the
      // driver documents cuMemFree and module unloads against the current one: always push.
      auto current = CurrentContext::push(*context_);
      (void)Traits::destroy(context_->api(), handle_);
      handle_ = Handle{};
      live_.fetch_sub(1, std::memory_order_relaxed);
    }
    context_.reset();
  }

 private:
  static inline std::atomic<std::uint64_t> live_{0};
  SharedContext context_;
  Handle handle_{};
};

struct ExternalMemoryTraits {
  using Handle = CUexternalMemory;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuDestroyExternalMemory(h); }
};
struct MipmappedArrayTraits {
  using Handle = CUmipmappedArray;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuMipmappedArrayDestroy(h); }
};
struct SurfaceTraits {
  using Handle = CUsurfObject;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuSurfObjectDestroy(h); }
};
/// A device pointer from cuExternalMemoryGetMappedBuffer or cuMemAlloc: both are freed
/// with cuMemFree.
struct DevicePointerTraits {
  using Handle = CUdeviceptr;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuMemFree(h); }
};
struct ExternalSemaphoreTraits {
  using Handle = CUexternalSemaphore;
  static CUresult destroy(const DriverApi& api, Handle h) {
    return api.cuDestroyExternalSemaphore(h);
  }
};
struct StreamTraits {
  using Handle = CUstream;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuStreamDestroy(h); }
};
struct EventTraits {
  using Handle = CUevent;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuEventDestroy(h); }
};
struct ModuleTraits {
  using Handle = CUmodule;
  static CUresult destroy(const DriverApi& api, Handle h) { return api.cuModuleUnload(h); }
};

using ExternalMemory = Owner<ExternalMemoryTraits>;
using MipmappedArray = Owner<MipmappedArrayTraits>;
using SurfaceObject = Owner<SurfaceTraits>;
using DevicePointer = Owner<DevicePointerTraits>;
using ExternalSemaphore = Owner<ExternalSemaphoreTraits>;
using StreamHandle = Owner<StreamTraits>;
using Module = Owner<ModuleTraits>;

}  // namespace geyser::cuda::detail
