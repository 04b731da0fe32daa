// Internal: what the *_options_init_sized functions share (C API version 6). Each writes
// the first min(caller's size, this library's sizeof) bytes of the caller's struct and not
// one byte more: zeros, struct_size, and each default whose field lies wholly inside them.
// Fields are written at their byte offsets with memcpy, so nothing here treats a caller's
// shorter struct as a whole object of this library's (larger) type.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "geyser/error.hpp"

namespace geyser::capi {

/// `n` rounded up to a multiple of `alignment`: how a compiler ends a struct after its last
/// field (its size is a multiple of its alignment).
constexpr std::size_t round_up(std::size_t n, std::size_t alignment) noexcept {
  return (n + alignment - 1) / alignment * alignment;
}

/// Validation naming `function`, the size given and the smallest accepted when `options`
/// is null or `struct_size` is below `smallest` (the struct's first released size).
[[nodiscard]] inline Result<void> require_init(const void* options, std::size_t struct_size,
                                               std::size_t smallest, const char* function) {
  if (options == nullptr)
    return fail(ErrorCode::Validation, std::string(function) + ": options is NULL");
  if (struct_size < smallest) {
    return fail(ErrorCode::Validation, std::string(function) + ": struct_size " +
                                           std::to_string(struct_size) + " is below " +
                                           std::to_string(smallest) +
                                           ", the smallest this struct was in any C API version");
  }
  return {};
}

/// The bytes of `options` an init of `struct_size` writes (at most `library_size`, the
/// library's sizeof): zeroed, with struct_size set to their number. Returns that number.
inline std::size_t zero_prefix(void* options, std::size_t struct_size,
                               std::size_t library_size) noexcept {
  const std::size_t size = std::min(struct_size, library_size);
  std::memset(options, 0, size);
  const auto stored = static_cast<std::uint32_t>(size);
  std::memcpy(options, &stored, sizeof stored);  // struct_size is every struct's first field
  return size;
}

/// Writes `value` at `offset` of `options` when the field ends within `size` bytes.
template <typename T>
void put_default(void* options, std::size_t size, std::size_t offset, const T& value) noexcept {
  if (offset + sizeof(T) <= size)
    std::memcpy(static_cast<unsigned char*>(options) + offset, &value, sizeof(T));
}

}  // namespace geyser::capi
