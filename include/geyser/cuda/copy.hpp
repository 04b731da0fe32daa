// Copies between host memory and an imported CUDA array (level 0, layer 0), queued on a
// stream: what a CUDA producer without a kernel of its own uses to write a slot
// (cuda::Sender::write), and what tools use to look at a frame. Also the copy of a slot into
// linear device memory (a DeviceBuffer), for consumers that want pitched rows.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <cuda.h>

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

/// Level 0, layer 0 of `array` (of `desc`: a cuda::ReceivedFrame's array and descriptor),
/// tightly packed, row 0 first: the copy is queued on `stream` after the work there (a
/// receiver's wait for the sender's write), then the stream is waited for
/// (cuStreamSynchronize). What tools use to look at a received frame.
[[nodiscard]] Result<std::vector<std::uint8_t>> read_back(const Context& context, CUarray array,
                                                          const TextureDescriptor& desc,
                                                          CUstream stream);
/// The same for the `desc.height` rows of `row_pitch` bytes at `data` (a linear frame's
/// pointer and pitch), packed tightly.
[[nodiscard]] Result<std::vector<std::uint8_t>> read_back(const Context& context, CUdeviceptr data,
                                                          std::uint64_t row_pitch,
                                                          const TextureDescriptor& desc,
                                                          CUstream stream);

/// Device memory from cuMemAlloc in a Context's primary context, which it keeps alive;
/// freed with cuMemFree on destruction. Move-only; destroy it only once the work that uses
/// it has finished (stream synchronized).
class DeviceBuffer {
 public:
  /// `bytes` (> 0: Validation otherwise) of device memory; OutOfMemory when the driver has
  /// none left.
  [[nodiscard]] static Result<DeviceBuffer> allocate(const Context& context, std::uint64_t bytes);

  DeviceBuffer(DeviceBuffer&&) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&&) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  [[nodiscard]] CUdeviceptr get() const noexcept;
  [[nodiscard]] std::uint64_t size() const noexcept;

 private:
  struct State;
  explicit DeviceBuffer(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

/// Queues a device-to-device copy of `texture` (level 0, layer 0) into linear device memory
/// at `dst`: `height` rows of width * texel size bytes, `dst_pitch` bytes apart, on `stream`
/// (cuMemcpy2DAsync, array -> device). Validation when `dst` is 0 or `dst_pitch` is smaller
/// than a packed row. The rows are there once the stream has reached the copy.
[[nodiscard]] Result<void> copy_to_device(const Context& context, const ImportedArray& texture,
                                          CUdeviceptr dst, std::uint64_t dst_pitch,
                                          const Stream& stream);

/// Queues a copy of level 0 of `array` (of `desc`) into `desc.height` rows at `dst`,
/// `dst_pitch` bytes apart, on `stream` (a raw CUstream: a receiver's, or CU_STREAM_LEGACY).
/// Validation for a null destination or a pitch below a packed row.
[[nodiscard]] Result<void> copy_rows(const Context& context, CUarray array,
                                     const TextureDescriptor& desc, CUdeviceptr dst,
                                     std::uint64_t dst_pitch, CUstream stream);
/// Queues a copy of `desc.height` rows at `src`, `src_pitch` bytes apart, into level 0 of
/// `array` on `stream`: what a CUDA sender writes a tensor's rows into a slot with.
[[nodiscard]] Result<void> copy_rows(const Context& context, CUdeviceptr src,
                                     std::uint64_t src_pitch, CUarray array,
                                     const TextureDescriptor& desc, CUstream stream);

}  // namespace geyser::cuda
