// Internal: frames as DLPack tensors (dlpack.h 0.6, Debian's libdlpack-dev), and tensors as
// the rows a sender copies from.
#pragma once

#include <dlpack/dlpack.h>

#include <cstdint>
#include <memory>

#include "geyser/error.hpp"
#include "geyser/format.hpp"

namespace geyser::capi {

/// How a format's texel reads as a tensor: `channels` elements of `type` (uint8 x 4 for
/// Rgba8Unorm, float16 x 4 for Rgba16Float; packed formats: one uint32).
struct ElementType {
  DLDataType type{};
  std::int64_t channels = 1;
};
[[nodiscard]] ElementType element_type(TextureFormat format) noexcept;

/// Rows of texels in memory a tensor views.
struct RowView {
  void* data = nullptr;
  DLDevice device{};
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  TextureFormat format = TextureFormat::Rgba8Unorm;
  std::uint64_t row_pitch = 0;  ///< bytes; a multiple of the element size
};

/// A DLManagedTensor of shape (height, width, channels) over `view`, which keeps `keep`
/// (the memory's owner) until its deleter runs. Validation for a pitch that is not a
/// multiple of the element size.
[[nodiscard]] Result<DLManagedTensor*> make_tensor(const RowView& view, std::shared_ptr<void> keep);

/// What a sender copies from: `height` rows of `row_pitch` bytes at `data` on `device`.
struct TensorRows {
  const void* data = nullptr;
  DLDevice device{};
  std::uint64_t row_pitch = 0;
};
/// The rows of `tensor` when it is a frame of `width` x `height` `format`: shape (height,
/// width, channels) or, for one element per texel, (height, width); uint8 or the format's
/// element type; each row's texels contiguous. Validation naming what differs.
[[nodiscard]] Result<TensorRows> tensor_rows(const DLTensor& tensor, std::uint32_t width,
                                             std::uint32_t height, TextureFormat format);

/// Runs a consumed tensor's deleter once, however the call that took it ends.
class TensorOwner {
 public:
  explicit TensorOwner(DLManagedTensor* tensor) noexcept : tensor_(tensor) {}
  TensorOwner(const TensorOwner&) = delete;
  TensorOwner& operator=(const TensorOwner&) = delete;
  ~TensorOwner() {
    if (tensor_ != nullptr && tensor_->deleter != nullptr) tensor_->deleter(tensor_);
  }

 private:
  DLManagedTensor* tensor_;
};

}  // namespace geyser::capi
