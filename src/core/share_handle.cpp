#include "geyser/share_handle.hpp"

namespace geyser {

namespace {

// Names the handle whose OS handle could not be duplicated; keeps the code and native error.
Error with_context(const char* what, const Error& error) {
  return Error(error.code(), std::string(what) + ": " + error.message(), error.native_domain(),
               error.native_code());
}

}  // namespace

std::string_view to_string(MemoryHandleType type) noexcept {
  switch (type) {
    case MemoryHandleType::OpaqueFd: return "opaque_fd";
    case MemoryHandleType::OpaqueWin32: return "opaque_win32";
    case MemoryHandleType::HostMemfd: return "host_memfd";
  }
  return "unknown";
}

std::string_view to_string(SemaphoreType type) noexcept {
  switch (type) {
    case SemaphoreType::Binary: return "binary";
    case SemaphoreType::Timeline: return "timeline";
  }
  return "unknown";
}

std::string_view to_string(SemaphoreHandleType type) noexcept {
  switch (type) {
    case SemaphoreHandleType::OpaqueFd: return "opaque_fd";
    case SemaphoreHandleType::OpaqueWin32: return "opaque_win32";
  }
  return "unknown";
}

Result<TextureShareHandle> TextureShareHandle::clone() const {
  auto copy = os_handle.duplicate();
  if (!copy) return fail(with_context("TextureShareHandle::clone", copy.error()));
  return TextureShareHandle{std::move(*copy), handle_type, identity, descriptor, image, row_pitch};
}

Result<SemaphoreShareHandle> SemaphoreShareHandle::clone() const {
  auto copy = os_handle.duplicate();
  if (!copy) return fail(with_context("SemaphoreShareHandle::clone", copy.error()));
  return SemaphoreShareHandle{std::move(*copy), type, identity, handle_type};
}

}  // namespace geyser
