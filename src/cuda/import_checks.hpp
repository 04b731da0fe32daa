// Internal: what an import checks before any CUDA call, kept apart so that tests run them
// without a driver.
#pragma once

#include <cuda.h>

#include <cstdint>

#include "geyser/cuda/format.hpp"
#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"

namespace geyser::cuda::detail {

/// VkImageTiling values as VulkanImageInfo::tiling carries them.
inline constexpr std::uint32_t kTilingOptimal = kVkTilingOptimal;
inline constexpr std::uint32_t kTilingLinear = kVkTilingLinear;

/// The handle facts every memory import needs: an opaque fd (Unsupported otherwise), a
/// valid descriptor whose format matches image.vk_format, a dedicated allocation
/// (docs/architecture.md, rule 2) of non-zero size, and `tiling`. Validation naming the
/// field otherwise. The fd itself is not looked at.
[[nodiscard]] Result<void> check_memory_handle(const TextureShareHandle& handle,
                                               std::uint32_t tiling);

/// The mipmapped array description for `handle` (already checked): the format's CUDA
/// array format, the extent, the layers and the flags of ImportedArray::import.
[[nodiscard]] Result<CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC> mipmapped_array_desc(
    const TextureShareHandle& handle);

/// The buffer description for a linear `handle`: `height` rows of `row_pitch` bytes from
/// `offset`. Validation when a row does not fit its pitch or the rows the allocation.
[[nodiscard]] Result<CUDA_EXTERNAL_MEMORY_BUFFER_DESC> buffer_desc(const TextureShareHandle& handle,
                                                                   std::uint64_t row_pitch,
                                                                   std::uint64_t offset);

}  // namespace geyser::cuda::detail
