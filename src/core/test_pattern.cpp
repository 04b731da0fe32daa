#include "geyser/test_pattern.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace geyser {

namespace {

// Byte k of a texel depends on x only when k % 4 == 0 and on y only when k % 4 == 1, so a
// row is row 0 with `y` added to the k % 4 == 1 bytes, and row 0 is texel 0 repeated with
// `x` added to the k % 4 == 0 bytes. Both loops run over contiguous memory without
// per-byte branching.

/// Adds `value` (mod 256) to byte `lane`, `lane + 4`, ... of every texel of a row.
void add_to_lane(std::uint8_t* row, std::uint32_t width, std::uint32_t texel_size,
                 std::uint32_t lane, std::uint8_t value) noexcept {
  if (lane >= texel_size) return;
  if (texel_size % 4 == 0) {
    const std::size_t row_bytes = std::size_t{width} * texel_size;
    for (std::size_t i = lane; i < row_bytes; i += 4) {
      row[i] = static_cast<std::uint8_t>(row[i] + value);
    }
    return;
  }
  for (std::uint32_t x = 0; x < width; ++x) {
    std::uint8_t* texel = row + std::size_t{x} * texel_size;
    for (std::uint32_t k = lane; k < texel_size; k += 4) {
      texel[k] = static_cast<std::uint8_t>(texel[k] + value);
    }
  }
}

/// Writes row 0 of frame `frame`.
void write_row0(std::uint8_t* row, std::uint32_t width, std::uint32_t texel_size,
                std::uint64_t frame) noexcept {
  for (std::uint32_t k = 0; k < texel_size; ++k) row[k] = pattern_byte(0, 0, k, frame);
  // Replicate texel 0 across the row by doubling the filled prefix.
  const std::size_t row_bytes = std::size_t{width} * texel_size;
  for (std::size_t filled = texel_size; filled < row_bytes;) {
    const std::size_t n = std::min(filled, row_bytes - filled);
    std::memcpy(row + filled, row, n);
    filled += n;
  }
  if (texel_size % 4 == 0) {
    for (std::size_t i = 0; i < row_bytes; i += 4) {
      row[i] = static_cast<std::uint8_t>(row[i] + static_cast<std::uint8_t>(i / texel_size));
    }
    return;
  }
  for (std::uint32_t x = 1; x < width; ++x) {
    std::uint8_t* texel = row + std::size_t{x} * texel_size;
    for (std::uint32_t k = 0; k < texel_size; k += 4) {
      texel[k] = static_cast<std::uint8_t>(texel[k] + static_cast<std::uint8_t>(x));
    }
  }
}

std::uint64_t required_bytes(std::uint32_t width, std::uint32_t height,
                             std::uint32_t texel_size) noexcept {
  return std::uint64_t{width} * height * texel_size;
}

[[noreturn]] void too_small(const char* function, std::size_t have, std::uint64_t need) noexcept {
  std::fprintf(stderr, "geyser: %s: buffer holds %zu bytes, the image needs %llu\n", function, have,
               static_cast<unsigned long long>(need));
  std::abort();
}

}  // namespace

void fill_test_pattern(std::span<std::uint8_t> out, std::uint32_t width, std::uint32_t height,
                       std::uint32_t texel_size, std::uint64_t frame) noexcept {
  const std::uint64_t total = required_bytes(width, height, texel_size);
  if (total == 0) return;
  if (out.size() < total) too_small("fill_test_pattern", out.size(), total);

  const std::size_t row_bytes = std::size_t{width} * texel_size;
  std::uint8_t* row0 = out.data();
  write_row0(row0, width, texel_size, frame);
  for (std::uint32_t y = 1; y < height; ++y) {
    std::uint8_t* row = row0 + std::size_t{y} * row_bytes;
    std::memcpy(row, row0, row_bytes);
    add_to_lane(row, width, texel_size, 1, static_cast<std::uint8_t>(y));
  }
}

std::optional<PatternMismatch> check_test_pattern(std::span<const std::uint8_t> data,
                                                  std::uint32_t width, std::uint32_t height,
                                                  std::uint32_t texel_size,
                                                  std::uint64_t frame) noexcept {
  const std::uint64_t total = required_bytes(width, height, texel_size);
  if (total == 0) return std::nullopt;
  if (data.size() < total) too_small("check_test_pattern", data.size(), total);

  // The expected row, advanced by one in its y-dependent bytes after each row. One row is
  // small (64 KiB at 4096 x 16 bytes); failing to allocate it is fatal like any OOM in a
  // noexcept function.
  const std::size_t row_bytes = std::size_t{width} * texel_size;
  std::vector<std::uint8_t> expected(row_bytes);
  write_row0(expected.data(), width, texel_size, frame);

  std::optional<PatternMismatch> result;
  for (std::uint32_t y = 0; y < height; ++y) {
    if (y != 0) add_to_lane(expected.data(), width, texel_size, 1, 1);
    const std::uint8_t* row = data.data() + std::size_t{y} * row_bytes;
    if (std::memcmp(row, expected.data(), row_bytes) == 0) continue;
    for (std::size_t i = 0; i < row_bytes; ++i) {
      if (row[i] == expected[i]) continue;
      if (!result) {
        result = PatternMismatch{};
        result->x = static_cast<std::uint32_t>(i / texel_size);
        result->y = y;
        result->byte = static_cast<std::uint32_t>(i % texel_size);
        result->expected = expected[i];
        result->actual = row[i];
      }
      ++result->mismatched_bytes;
    }
  }
  return result;
}

std::string PatternMismatch::to_string() const {
  return "texel (" + std::to_string(x) + ", " + std::to_string(y) + ") byte " +
         std::to_string(byte) + ": expected " + std::to_string(expected) + ", found " +
         std::to_string(actual) + " (" + std::to_string(mismatched_bytes) + " bytes differ)";
}

std::uint8_t pattern_frame_of(std::span<const std::uint8_t> rgba8) noexcept {
  // B = f mod 256 in every texel; (0, 0) is as good as any.
  return rgba8.size() >= 3 ? rgba8[2] : 0;
}

}  // namespace geyser
