// How many CUDA objects Geyser holds in this process, by type: what a test or an
// application checks to see that connections and frames leave nothing behind.
#pragma once

#include <cstdint>

namespace geyser::cuda {

/// The CUDA objects Geyser created and has not destroyed yet, in the whole process. Zero
/// everywhere without a driver.
struct LiveObjects {
  std::uint64_t external_memories = 0;    ///< cuImportExternalMemory
  std::uint64_t mipmapped_arrays = 0;     ///< cuExternalMemoryGetMappedMipmappedArray
  std::uint64_t surfaces = 0;             ///< cuSurfObjectCreate
  std::uint64_t device_pointers = 0;      ///< cuExternalMemoryGetMappedBuffer, cuMemAlloc
  std::uint64_t external_semaphores = 0;  ///< cuImportExternalSemaphore
  std::uint64_t streams = 0;              ///< cuStreamCreate
  std::uint64_t modules = 0;              ///< cuModuleLoadData (the pattern kernels)

  friend bool operator==(const LiveObjects&, const LiveObjects&) = default;
};

/// The counts now. Thread-safe.
[[nodiscard]] LiveObjects live_objects() noexcept;

}  // namespace geyser::cuda
