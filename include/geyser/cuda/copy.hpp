// Copies between host memory and an imported CUDA array (level 0, layer 0), queued on a
// stream: what a CUDA producer without a kernel of its own uses to write a slot
// (cuda::Sender::write), and what tools use to look at a frame.
#pragma once

#include <cstdint>
#include <span>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/cuda/texture.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda {

/// Queues a copy of `bytes` (tightly packed, row 0 first, width * height * texel size:
/// Validation otherwise) into `texture` on `stream` (cuMemcpy2DAsync). From pageable host
/// memory the driver stages the bytes before it returns, so `bytes` may go afterwards; the
/// copy is ordered before the stream's later work (a semaphore signal, a present).
[[nodiscard]] Result<void> upload(const Context& context, const ImportedArray& texture,
                                  std::span<const std::uint8_t> bytes, const Stream& stream);

/// Queues a copy of `texture` into `bytes` (the same layout and size) on `stream`; `bytes`
/// holds the texels once the stream has reached the copy (synchronize it).
[[nodiscard]] Result<void> download(const Context& context, const ImportedArray& texture,
                                    std::span<std::uint8_t> bytes, const Stream& stream);

}  // namespace geyser::cuda
