// Internal: cuImportExternalMemory of a TextureShareHandle's opaque fd.
#pragma once

#include "geyser/share_handle.hpp"
#include "owners.hpp"

namespace geyser::cuda::detail {

/// Imports a duplicate of `handle.os_handle` (checked by the caller) as a dedicated
/// allocation of image.allocation_size bytes in `context`, which must be current. The
/// duplicate belongs to CUDA once the import succeeds and is closed here otherwise.
[[nodiscard]] Result<ExternalMemory> import_external_memory(const SharedContext& context,
                                                            const TextureShareHandle& handle);

}  // namespace geyser::cuda::detail
