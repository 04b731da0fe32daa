// Draws Geyser's test pattern into a frame, and counts the texels of a frame that differ from it
// (docs/architecture.md, "Test pattern"), on the GPU, so that a CUDA consumer checks every
// pixel of every frame without copying it back. Compiled by nvcc to a fatbin (sm_90 and
// PTX) embedded in geyser::cuda and loaded with cuModuleLoadData (src/cuda/pattern_check.cpp).
//
// The expected bytes come from geyser::pattern_byte itself (a constexpr function, usable
// here with --expt-relaxed-constexpr), so the kernel and the CPU check cannot drift apart.
#include <cstdint>

#include "geyser/test_pattern.hpp"

namespace {

// The results one launch accumulates: how many texels differ, and the lowest index
// (y * width + x) among them, for messages.
struct Counters {
  unsigned long long mismatched;
  unsigned long long first;
};

// Whether the `texel_size` bytes at `texel` are texel (x, y) of frame `frame`.
__device__ bool texel_matches(const std::uint8_t* texel, std::uint32_t texel_size, std::uint32_t x,
                              std::uint32_t y, std::uint64_t frame) {
  for (std::uint32_t k = 0; k < texel_size; ++k) {
    if (texel[k] != geyser::pattern_byte(x, y, k, frame)) return false;
  }
  return true;
}

__device__ void record(Counters* counters, std::uint32_t x, std::uint32_t y, std::uint32_t width) {
  atomicAdd(&counters->mismatched, 1ull);
  atomicMin(&counters->first, static_cast<unsigned long long>(y) * width + x);
}

// Reads one texel of `Word` bytes (the array's element size) from a surface: surface
// loads must be of the element's size, at x in bytes.
template <typename Word>
__device__ void check_surface_texel(cudaSurfaceObject_t surface, std::uint32_t x, std::uint32_t y,
                                    std::uint32_t width, std::uint64_t frame, Counters* counters) {
  Word word;
  surf2Dread(&word, surface, static_cast<int>(x * sizeof(Word)), static_cast<int>(y));
  std::uint8_t bytes[sizeof(Word)];
  memcpy(bytes, &word, sizeof(Word));
  if (!texel_matches(bytes, sizeof(Word), x, y, frame)) record(counters, x, y, width);
}

// Writes texel (x, y) of frame `frame` as one `Word` (the array's element size).
template <typename Word>
__device__ void draw_surface_texel(cudaSurfaceObject_t surface, std::uint32_t x, std::uint32_t y,
                                   std::uint64_t frame) {
  std::uint8_t bytes[sizeof(Word)];
  for (std::uint32_t k = 0; k < sizeof(Word); ++k) bytes[k] = geyser::pattern_byte(x, y, k, frame);
  Word word;
  memcpy(&word, bytes, sizeof(Word));
  surf2Dwrite(word, surface, static_cast<int>(x * sizeof(Word)), static_cast<int>(y));
}

}  // namespace

// Draws frame `frame` of the pattern into a width x height level, one thread per texel
// (texel sizes as for the check; others are refused on the host).
extern "C" __global__ void geyser_draw_pattern_surface(cudaSurfaceObject_t surface,
                                                       std::uint32_t width, std::uint32_t height,
                                                       std::uint32_t texel_size,
                                                       std::uint64_t frame) {
  const std::uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= width || y >= height) return;
  switch (texel_size) {
    case 1: draw_surface_texel<unsigned char>(surface, x, y, frame); break;
    case 2: draw_surface_texel<unsigned short>(surface, x, y, frame); break;
    case 4: draw_surface_texel<unsigned int>(surface, x, y, frame); break;
    case 8: draw_surface_texel<uint2>(surface, x, y, frame); break;
    case 16: draw_surface_texel<uint4>(surface, x, y, frame); break;
    default: break;
  }
}

// One thread per texel of a width x height level of a CUDA array whose elements are
// `texel_size` bytes (1, 2, 4, 8 or 16).
extern "C" __global__ void geyser_check_pattern_surface(cudaSurfaceObject_t surface,
                                                        std::uint32_t width, std::uint32_t height,
                                                        std::uint32_t texel_size,
                                                        std::uint64_t frame, Counters* counters) {
  const std::uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= width || y >= height) return;
  switch (texel_size) {
    case 1: check_surface_texel<unsigned char>(surface, x, y, width, frame, counters); break;
    case 2: check_surface_texel<unsigned short>(surface, x, y, width, frame, counters); break;
    case 4: check_surface_texel<unsigned int>(surface, x, y, width, frame, counters); break;
    case 8: check_surface_texel<uint2>(surface, x, y, width, frame, counters); break;
    case 16: check_surface_texel<uint4>(surface, x, y, width, frame, counters); break;
    default: record(counters, x, y, width); break;  // refused on the host before the launch
  }
}

// The same for rows of `row_pitch` bytes in device memory.
extern "C" __global__ void geyser_check_pattern_linear(const std::uint8_t* data,
                                                       std::uint64_t row_pitch, std::uint32_t width,
                                                       std::uint32_t height,
                                                       std::uint32_t texel_size,
                                                       std::uint64_t frame, Counters* counters) {
  const std::uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= width || y >= height) return;
  const std::uint8_t* texel = data + y * row_pitch + std::uint64_t{x} * texel_size;
  if (!texel_matches(texel, texel_size, x, y, frame)) record(counters, x, y, width);
}
