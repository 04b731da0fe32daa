#include "geyser/error.hpp"

#include <cstdio>
#include <cstring>

namespace geyser {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Validation: return "Validation";
    case ErrorCode::Unsupported: return "Unsupported";
    case ErrorCode::OutOfMemory: return "OutOfMemory";
    case ErrorCode::DeviceLost: return "DeviceLost";
    case ErrorCode::DeviceMismatch: return "DeviceMismatch";
    case ErrorCode::Disconnected: return "Disconnected";
    case ErrorCode::Timeout: return "Timeout";
    case ErrorCode::PermissionDenied: return "PermissionDenied";
    case ErrorCode::Protocol: return "Protocol";
    case ErrorCode::Internal: return "Internal";
  }
  return "Unknown";
}

std::string Error::to_string() const {
  std::string out(geyser::to_string(code_));
  out += ": ";
  out += message_;
  switch (domain_) {
    case NativeDomain::None: break;
    case NativeDomain::VkResult: out += " (VkResult " + std::to_string(native_) + ")"; break;
    case NativeDomain::Errno: out += " (errno " + std::to_string(native_) + ")"; break;
    case NativeDomain::CUresult: out += " (CUresult " + std::to_string(native_) + ")"; break;
    case NativeDomain::Win32: out += " (Win32 error " + std::to_string(native_) + ")"; break;
    case NativeDomain::GLenum: {
      // GL errors are conventionally written in hex (GL_INVALID_OPERATION is 0x0502).
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%04llx", static_cast<unsigned long long>(native_));
      out += " (GLenum ";
      out += hex;
      out += ")";
      break;
    }
  }
  return out;
}

namespace {

// strerror() is not thread-safe; strerror_r has a GNU and an XSI flavour depending on the
// feature macros, so accept either return type.
[[maybe_unused]] const char* strerror_result(int result, const char* buffer, int err) {
  if (result == 0) return buffer;
  static thread_local char fallback[64];
  std::snprintf(fallback, sizeof fallback, "Unknown error %d", err);
  return fallback;
}
[[maybe_unused]] const char* strerror_result(const char* result, const char* /*buffer*/,
                                             int /*err*/) {
  return result;
}

std::string errno_text(int err) {
  char buffer[256] = {};
#if defined(_WIN32)
  // The C runtime of mingw-w64 has no strerror_r; strerror_s is its thread-safe one.
  return strerror_result(strerror_s(buffer, sizeof buffer, err), buffer, err);
#else
  return strerror_result(strerror_r(err, buffer, sizeof buffer), buffer, err);
#endif
}

}  // namespace

Error Error::from_errno(ErrorCode code, std::string message, int err) {
  message += ": ";
  message += errno_text(err);
  return Error(code, std::move(message), NativeDomain::Errno, err);
}

}  // namespace geyser
