// TextureFormat to CUDA array formats.
#include "geyser/cuda/format.hpp"

#include <optional>
#include <string>

namespace geyser::cuda {
namespace {

std::optional<ArrayFormat> mapped(TextureFormat format) noexcept {
  using F = TextureFormat;
  switch (format) {
    case F::Rgba8Unorm:
    case F::Bgra8Unorm:
    case F::Rgba8Srgb:
    case F::Bgra8Srgb:
    case F::Rgba8Uint: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT8, 4};
    case F::Rgba8Snorm: return ArrayFormat{CU_AD_FORMAT_SIGNED_INT8, 4};
    case F::R8Unorm: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT8, 1};
    case F::Rg8Unorm: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT8, 2};
    case F::R16Unorm:
    case F::R16Uint: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT16, 1};
    case F::Rg16Unorm: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT16, 2};
    case F::Rgba16Unorm:
    case F::Rgba16Uint: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT16, 4};
    case F::R16Sint: return ArrayFormat{CU_AD_FORMAT_SIGNED_INT16, 1};
    case F::R16Float: return ArrayFormat{CU_AD_FORMAT_HALF, 1};
    case F::Rg16Float: return ArrayFormat{CU_AD_FORMAT_HALF, 2};
    case F::Rgba16Float: return ArrayFormat{CU_AD_FORMAT_HALF, 4};
    case F::R32Float: return ArrayFormat{CU_AD_FORMAT_FLOAT, 1};
    case F::Rg32Float: return ArrayFormat{CU_AD_FORMAT_FLOAT, 2};
    case F::Rgba32Float: return ArrayFormat{CU_AD_FORMAT_FLOAT, 4};
    case F::R32Uint: return ArrayFormat{CU_AD_FORMAT_UNSIGNED_INT32, 1};
    case F::R32Sint: return ArrayFormat{CU_AD_FORMAT_SIGNED_INT32, 1};
    // Packed and depth formats: CUDA has packed array formats (UNORM_INT_101010_2), but
    // whether the driver lays one out as Vulkan does for an optimal image is unverified.
    case F::Rgb10a2Unorm:
    case F::Rg11b10Float:
    case F::Depth16Unorm:
    case F::Depth32Float:
    case F::Depth24Plus:
    case F::Depth24PlusStencil8: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Result<ArrayFormat> array_format(TextureFormat format) {
  if (auto found = mapped(format)) return *found;
  return fail(ErrorCode::Unsupported, "cuda::array_format: " + std::string(to_string(format)) +
                                          " has no CUDA array format in Geyser (packed, depth "
                                          "and stencil formats are not mapped)");
}

}  // namespace geyser::cuda
