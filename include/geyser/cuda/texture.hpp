// A shared texture's memory in CUDA: an optimal-tiled slot as a CUDA mipmapped array with
// a surface object, a linear one as a device pointer with its row pitch
// (cuImportExternalMemory; docs/interop-cuda.md).
#pragma once

#include <cstdint>
#include <memory>

#include <cuda.h>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/format.hpp"
#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"

namespace geyser::cuda {

/// An optimal-tiled texture imported as a CUDA mipmapped array. Owns the external memory,
/// the mipmapped array and a surface object on level 0 (all layers), and keeps its
/// Context's primary context alive. Move-only; destroy it only once the work that uses its
/// objects has finished (stream synchronized).
class ImportedArray {
 public:
  /// Imports `handle` on `context`'s device, in this order of checks: the identity
  /// (cuda::check_identity: DeviceMismatch before the fd is touched), the handle
  /// (Validation: a non-dedicated or linear image, a format or size that disagrees with
  /// the descriptor; Unsupported: another handle type or a format with no CUDA array
  /// format), then cuImportExternalMemory of a duplicate of the fd (dedicated, size
  /// image.allocation_size) and cuExternalMemoryGetMappedMipmappedArray with
  /// CUDA_ARRAY3D_SURFACE_LDST, plus CUDA_ARRAY3D_COLOR_ATTACHMENT when the texture is a
  /// colour attachment and CUDA_ARRAY3D_LAYERED for several layers. `handle` is not
  /// consumed. CUDA errors name the call and the values.
  [[nodiscard]] static Result<ImportedArray> import(const Context& context,
                                                    const TextureShareHandle& handle);

  ImportedArray(ImportedArray&&) noexcept;
  ImportedArray& operator=(ImportedArray&&) noexcept;
  ImportedArray(const ImportedArray&) = delete;
  ImportedArray& operator=(const ImportedArray&) = delete;
  ~ImportedArray();

  [[nodiscard]] CUmipmappedArray mipmapped_array() const noexcept;
  /// Mip level 0 (cuMipmappedArrayGetLevel); owned by the mipmapped array.
  [[nodiscard]] CUarray array() const noexcept;
  /// A surface object on level 0, for surf2Dread/surf2Dwrite (x in bytes).
  [[nodiscard]] CUsurfObject surface() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;
  [[nodiscard]] ArrayFormat format() const noexcept;

 private:
  struct State;
  explicit ImportedArray(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

/// A linear texture imported as device memory: mip 0, layer 0 is `height` rows of
/// row_pitch() bytes at pointer(). Owns the external memory and the mapping, and keeps its
/// Context's primary context alive. Move-only; destroy it only once the work that uses it
/// has finished.
class ImportedBuffer {
 public:
  /// Imports `handle`, a linear image (image.tiling VK_IMAGE_TILING_LINEAR) whose rows are
  /// `row_pitch` bytes apart starting `offset` bytes into the allocation. Checks as
  /// ImportedArray::import does, then Validation when row_pitch is smaller than a packed
  /// row or the rows do not fit in image.allocation_size; then cuImportExternalMemory (a
  /// duplicate, dedicated) and cuExternalMemoryGetMappedBuffer of the rows. `handle` is
  /// not consumed. The slots of a linear stream (SenderOptions::tiling) are imported so.
  [[nodiscard]] static Result<ImportedBuffer> import(const Context& context,
                                                     const TextureShareHandle& handle,
                                                     std::uint64_t row_pitch,
                                                     std::uint64_t offset = 0);

  ImportedBuffer(ImportedBuffer&&) noexcept;
  ImportedBuffer& operator=(ImportedBuffer&&) noexcept;
  ImportedBuffer(const ImportedBuffer&) = delete;
  ImportedBuffer& operator=(const ImportedBuffer&) = delete;
  ~ImportedBuffer();

  [[nodiscard]] CUdeviceptr pointer() const noexcept;
  [[nodiscard]] std::uint64_t row_pitch() const noexcept;
  /// Bytes mapped: row_pitch * height.
  [[nodiscard]] std::uint64_t size() const noexcept;
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept;

 private:
  struct State;
  explicit ImportedBuffer(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace geyser::cuda
