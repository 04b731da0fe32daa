// Importing memory fds into CUDA.
#include "external_memory.hpp"

#include <string>

#include "cuda_error.hpp"
#include "opaque_fd.hpp"

namespace geyser::cuda::detail {

Result<ExternalMemory> import_external_memory(const SharedContext& context,
                                              const TextureShareHandle& handle) {
  GEYSER_TRY(UniqueHandle fd, duplicate_for_import(handle.os_handle, "cuda import of memory"));
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC desc{};
  desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
  desc.handle.fd = fd.get();
  desc.size = handle.image.allocation_size;
  desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;
  CUexternalMemory memory = nullptr;
  const CUresult result = context->api().cuImportExternalMemory(&memory, &desc);
  if (result != CUDA_SUCCESS) {
    // `fd` closes the duplicate: the driver took nothing.
    return fail(cuda_error(&context->api(), result,
                           "cuImportExternalMemory(opaque fd " + std::to_string(fd.get()) + ", " +
                               std::to_string(desc.size) + " bytes, dedicated, on " +
                               context->info.name + ")"));
  }
  (void)fd.release();  // the driver owns it now
  return ExternalMemory(context, memory);
}

}  // namespace geyser::cuda::detail
