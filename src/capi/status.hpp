// Internal: how the C API reports failures. Every entry point runs its body through
// guard(), which turns a geyser::Error, a C++ exception or a bad argument into a
// geyser_status and this thread's last-error message, so that nothing is thrown across.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "geyser/error.hpp"
#include "geyser/geyser.h"

namespace geyser::capi {

/// The C status of `code`.
[[nodiscard]] geyser_status to_status(ErrorCode code) noexcept;
/// Records `error` as this thread's last failure and returns its status.
geyser_status set_error(const Error& error) noexcept;
geyser_status set_error(geyser_status status, const std::string& message) noexcept;
/// Clears this thread's last failure (a call that succeeds).
geyser_status set_ok() noexcept;

/// Validation naming `what` when `pointer` is null.
[[nodiscard]] Result<void> require(const void* pointer, const char* what);
/// Validation unless a caller's struct_size covers `needed` bytes of this library's struct.
[[nodiscard]] Result<void> require_size(std::uint32_t struct_size, std::size_t needed,
                                        const char* what);

/// Runs `body` (returning Result<void>) and reports its outcome; exceptions become
/// Internal (OutOfMemory for std::bad_alloc).
template <typename Body>
geyser_status guard(Body&& body) noexcept {
  try {
    Result<void> result = std::forward<Body>(body)();
    return result ? set_ok() : set_error(result.error());
  } catch (const std::bad_alloc&) {
    return set_error(GEYSER_ERROR_OUT_OF_MEMORY, "OutOfMemory: a host allocation failed");
  } catch (const std::exception& e) {
    return set_error(GEYSER_ERROR_INTERNAL, std::string("Internal: ") + e.what());
  } catch (...) {
    return set_error(GEYSER_ERROR_INTERNAL, "Internal: an unknown C++ exception");
  }
}

}  // namespace geyser::capi
