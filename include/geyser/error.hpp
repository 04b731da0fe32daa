// Errors and results: every fallible Geyser call returns Result<T>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace geyser {

/// What went wrong, in terms a caller can act on.
enum class ErrorCode : std::uint8_t {
  Validation,        ///< An argument or handle is malformed or out of range.
  Unsupported,       ///< The device or driver cannot do what was asked.
  OutOfMemory,       ///< Host or device memory ran out.
  DeviceLost,        ///< The GPU device was lost.
  DeviceMismatch,    ///< A handle comes from another driver or device (or an unknown one).
  Disconnected,      ///< The peer went away.
  Timeout,           ///< A wait ended before its condition was met.
  PermissionDenied,  ///< The OS or a peer check refused access.
  Protocol,          ///< A peer sent a malformed or unexpected message.
  Internal,          ///< A failure that is none of the above (driver error, bug).
};

/// The name of an error code, e.g. "DeviceMismatch".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

/// Where the native code of an Error comes from.
enum class NativeDomain : std::uint8_t {
  None,
  VkResult,
  Errno,
  CUresult,
  GLenum,
  Win32,  ///< a GetLastError() value (Windows; geyser/win32_error.hpp)
};

/// An error: a code, the native code that caused it (VkResult, errno, ...) and a message
/// that names the failing call and the values involved. A value type: copies may be used
/// from any thread.
class Error {
 public:
  Error(ErrorCode code, std::string message, NativeDomain domain = NativeDomain::None,
        std::int64_t native = 0)
      : code_(code), domain_(domain), native_(native), message_(std::move(message)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] NativeDomain native_domain() const noexcept { return domain_; }
  [[nodiscard]] std::int64_t native_code() const noexcept { return native_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// "DeviceMismatch: import_texture: ... (VkResult -1000072003)".
  [[nodiscard]] std::string to_string() const;

  /// Builds an error from an errno value; the message gets strerror appended.
  static Error from_errno(ErrorCode code, std::string message, int err);

 private:
  ErrorCode code_;
  NativeDomain domain_;
  std::int64_t native_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;

/// Shorthand for returning an error: `return geyser::fail(ErrorCode::Validation, "...")`.
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace geyser

#define GEYSER_CONCAT_INNER(a, b) a##b
#define GEYSER_CONCAT(a, b) GEYSER_CONCAT_INNER(a, b)

/// Propagates an error: `GEYSER_TRY(auto value, call());` or `GEYSER_TRY_VOID(call());`.
#define GEYSER_TRY_IMPL(tmp, decl, expr)                     \
  auto tmp = (expr);                                         \
  if (!tmp) return ::tl::unexpected(std::move(tmp).error()); \
  decl = std::move(tmp).value()
#define GEYSER_TRY(decl, expr) GEYSER_TRY_IMPL(GEYSER_CONCAT(geyser_try_, __LINE__), decl, expr)
#define GEYSER_TRY_VOID(expr)                                                            \
  do {                                                                                   \
    auto geyser_try_void_ = (expr);                                                      \
    if (!geyser_try_void_) return ::tl::unexpected(std::move(geyser_try_void_).error()); \
  } while (false)
