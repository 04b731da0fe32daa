// cuda::live_objects: the owners' counts.
#include "geyser/cuda/live_objects.hpp"

#include "owners.hpp"

namespace geyser::cuda {

LiveObjects live_objects() noexcept {
  LiveObjects out;
  out.external_memories = detail::ExternalMemory::live();
  out.mipmapped_arrays = detail::MipmappedArray::live();
  out.surfaces = detail::SurfaceObject::live();
  out.device_pointers = detail::DevicePointer::live();
  out.external_semaphores = detail::ExternalSemaphore::live();
  out.streams = detail::StreamHandle::live();
  out.modules = detail::Module::live();
  return out;
}

}  // namespace geyser::cuda
