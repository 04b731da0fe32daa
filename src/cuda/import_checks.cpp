// The checks of an import that need no driver.
#include "import_checks.hpp"

#include <string>

namespace geyser::cuda::detail {
namespace {

std::string field(const char* name, std::uint64_t value) {
  return std::string(name) + " " + std::to_string(value);
}

}  // namespace

Result<void> check_memory_handle(const TextureShareHandle& handle, std::uint32_t tiling) {
  if (handle.handle_type != MemoryHandleType::OpaqueFd) {
    return fail(ErrorCode::Unsupported, "cuda import: memory handle type " +
                                            std::string(to_string(handle.handle_type)) +
                                            "; CUDA imports opaque fds here");
  }
  GEYSER_TRY_VOID(validate(handle.descriptor));
  const auto vk_format = format_from_vk(handle.image.vk_format);
  if (!vk_format || *vk_format != handle.descriptor.format) {
    return fail(ErrorCode::Validation,
                "cuda import: " + field("vk_format", handle.image.vk_format) + " is not " +
                    std::string(to_string(handle.descriptor.format)) + ", the descriptor's format");
  }
  if (!handle.image.dedicated) {
    return fail(ErrorCode::Validation,
                "cuda import: the allocation is not dedicated; Geyser imports one image per "
                "allocation (CUDA_EXTERNAL_MEMORY_DEDICATED, docs/architecture.md rule 2)");
  }
  if (handle.image.allocation_size == 0) {
    return fail(ErrorCode::Validation, "cuda import: allocation size 0");
  }
  if (handle.image.tiling != tiling) {
    return fail(ErrorCode::Validation,
                "cuda import: " + field("tiling", handle.image.tiling) + ", this import takes " +
                    (tiling == kTilingOptimal ? "optimal-tiled images (ImportedArray)"
                                              : "linear images (ImportedBuffer)"));
  }
  return {};
}

Result<CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC> mipmapped_array_desc(
    const TextureShareHandle& handle) {
  const TextureDescriptor& desc = handle.descriptor;
  GEYSER_TRY(const ArrayFormat format, array_format(desc.format));
  CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC out{};
  out.offset = 0;  // a dedicated allocation holds the image from its start
  out.arrayDesc.Width = desc.width;
  out.arrayDesc.Height = desc.height;
  // Depth 0 is a 2D array; with CUDA_ARRAY3D_LAYERED, Depth is the layer count.
  out.arrayDesc.Depth = desc.array_layers > 1 ? desc.array_layers : 0;
  out.arrayDesc.Format = format.format;
  out.arrayDesc.NumChannels = format.channels;
  // The flags must describe the image as the graphics API made it: the driver lays out a
  // colour attachment differently (cuExternalMemoryGetMappedMipmappedArray requires
  // CUDA_ARRAY3D_COLOR_ATTACHMENT for one). Surface load/store is what CUDA kernels use.
  out.arrayDesc.Flags = CUDA_ARRAY3D_SURFACE_LDST;
  if (has_all(desc.usage, TextureUsage::ColorAttachment)) {
    out.arrayDesc.Flags |= CUDA_ARRAY3D_COLOR_ATTACHMENT;
  }
  if (desc.array_layers > 1) out.arrayDesc.Flags |= CUDA_ARRAY3D_LAYERED;
  out.numLevels = desc.mip_levels;
  return out;
}

Result<CUDA_EXTERNAL_MEMORY_BUFFER_DESC> buffer_desc(const TextureShareHandle& handle,
                                                     std::uint64_t row_pitch,
                                                     std::uint64_t offset) {
  const TextureDescriptor& desc = handle.descriptor;
  const std::uint64_t packed_row = std::uint64_t{desc.width} * format_info(desc.format).texel_size;
  if (row_pitch < packed_row) {
    return fail(ErrorCode::Validation, "cuda import: " + field("row pitch", row_pitch) +
                                           " is less than a row of " + describe(desc) + " (" +
                                           std::to_string(packed_row) + " bytes)");
  }
  const std::uint64_t size = row_pitch * desc.height;
  if (offset > handle.image.allocation_size || size > handle.image.allocation_size - offset) {
    return fail(ErrorCode::Validation, "cuda import: " + std::to_string(desc.height) + " rows of " +
                                           std::to_string(row_pitch) + " bytes from " +
                                           field("offset", offset) +
                                           " do not fit in the allocation of " +
                                           std::to_string(handle.image.allocation_size) + " bytes");
  }
  CUDA_EXTERNAL_MEMORY_BUFFER_DESC out{};
  out.offset = offset;
  out.size = size;
  out.flags = 0;
  return out;
}

}  // namespace geyser::cuda::detail
