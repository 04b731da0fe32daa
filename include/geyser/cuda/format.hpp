// Which CUDA array format holds each geyser::TextureFormat.
#pragma once

#include <cuda.h>

#include "geyser/error.hpp"
#include "geyser/format.hpp"

namespace geyser::cuda {

/// A CUDA array's element: CUDA_ARRAY3D_DESCRIPTOR::Format and NumChannels.
struct ArrayFormat {
  CUarray_format format = CU_AD_FORMAT_UNSIGNED_INT8;
  unsigned int channels = 0;
  friend bool operator==(const ArrayFormat&, const ArrayFormat&) = default;
};

/// The CUDA array format with the same texel size and components as `format`, so that
/// surface loads see the bytes Vulkan wrote. Normalized and sRGB formats map to their
/// integer storage (Rgba8Unorm, Rgba8Srgb and Bgra8Unorm: CU_AD_FORMAT_UNSIGNED_INT8 x 4;
/// the bytes keep Vulkan's order, B first for Bgra); CUDA does no sRGB or normalization on
/// surface loads. Unsupported, naming the format, for depth and stencil formats and packed
/// ones (Rgb10a2Unorm, Rg11b10Float), which Geyser does not map to CUDA arrays.
[[nodiscard]] Result<ArrayFormat> array_format(TextureFormat format);

}  // namespace geyser::cuda
