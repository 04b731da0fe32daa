// Geyser's test pattern on the GPU (docs/architecture.md, "Test pattern"): a CUDA kernel
// compares every texel of a frame and counts those that differ, another draws a frame.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <cuda.h>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/texture.hpp"
#include "geyser/error.hpp"
#include "geyser/texture.hpp"

namespace geyser::cuda {

/// What one check found.
struct PatternCheck {
  std::uint64_t mismatched_texels = 0;
  /// The first texel that differs (lowest y, then x), when any does.
  std::optional<std::uint32_t> first_x;
  std::optional<std::uint32_t> first_y;
  [[nodiscard]] bool ok() const noexcept { return mismatched_texels == 0; }
  /// "0 texels differ" / "12 texels differ, the first at (3, 0)".
  [[nodiscard]] std::string to_string() const;
};

/// Whether this geyser::cuda was built with its kernels (nvcc was found at build time).
[[nodiscard]] bool have_kernels() noexcept;

/// The pattern-check kernel, loaded in one context (cuModuleLoadData of the fatbin
/// embedded at build time: sm_90 code and PTX that newer GPUs compile). Owns the module and
/// a small device buffer for the counters, and keeps the context alive. Move-only; one
/// check at a time (not thread-safe).
class PatternChecker {
 public:
  /// Loads the kernel. Unsupported when the library was built without nvcc, or when the
  /// driver cannot run the embedded code on this device (CUDA_ERROR_NO_BINARY_FOR_GPU).
  [[nodiscard]] static Result<PatternChecker> create(const Context& context);

  PatternChecker(PatternChecker&&) noexcept;
  PatternChecker& operator=(PatternChecker&&) noexcept;
  PatternChecker(const PatternChecker&) = delete;
  PatternChecker& operator=(const PatternChecker&) = delete;
  ~PatternChecker();

  /// Checks level 0, layer 0 of a surface over an array of `desc` (ImportedArray::surface())
  /// against frame `frame`: queues the kernel on `stream` after the work queued there, then
  /// waits for it (cuStreamSynchronize) and returns the counts. Unsupported for layered
  /// textures and texel sizes other than 1, 2, 4, 8 and 16 bytes.
  [[nodiscard]] Result<PatternCheck> check(CUsurfObject surface, const TextureDescriptor& desc,
                                           std::uint64_t frame, CUstream stream) const;
  /// The same for `desc.height` rows of `row_pitch` bytes at `data` (ImportedBuffer).
  [[nodiscard]] Result<PatternCheck> check(CUdeviceptr data, std::uint64_t row_pitch,
                                           const TextureDescriptor& desc, std::uint64_t frame,
                                           CUstream stream) const;
  /// Draws frame `frame` of the pattern into level 0, layer 0 of a surface over an array
  /// of `desc` (a cuda::SenderFrame's surface): queues the kernel on `stream` and returns
  /// without waiting, so that a present() after it is ordered after the drawing. The same
  /// texel sizes as check().
  [[nodiscard]] Result<void> draw(CUsurfObject surface, const TextureDescriptor& desc,
                                  std::uint64_t frame, CUstream stream) const;
  /// check(texture.surface(), texture.descriptor(), frame, stream).
  [[nodiscard]] Result<PatternCheck> check(const ImportedArray& texture, std::uint64_t frame,
                                           CUstream stream) const;

 private:
  struct State;
  explicit PatternChecker(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace geyser::cuda
