// The C API's error state: a status and a message per thread, and the status names.
#include "status.hpp"

#include <cstdint>

namespace geyser::capi {
namespace {

struct LastError {
  geyser_status status = GEYSER_OK;
  std::string message;
};

LastError& last_error() noexcept {
  thread_local LastError error;
  return error;
}

}  // namespace

geyser_status to_status(ErrorCode code) noexcept {
  return static_cast<geyser_status>(static_cast<int>(code) + 1);
}

geyser_status set_error(geyser_status status, const std::string& message) noexcept {
  LastError& error = last_error();
  error.status = status;
  try {
    error.message = message;
  } catch (...) {
    error.message.clear();
  }
  return status;
}

geyser_status set_error(const Error& error) noexcept {
  try {
    return set_error(to_status(error.code()), error.to_string());
  } catch (...) {
    return set_error(to_status(error.code()), std::string());
  }
}

geyser_status set_ok() noexcept {
  LastError& error = last_error();
  error.status = GEYSER_OK;
  error.message.clear();
  return GEYSER_OK;
}

Result<void> require(const void* pointer, const char* what) {
  if (pointer == nullptr) return fail(ErrorCode::Validation, std::string(what) + " is NULL");
  return {};
}

Result<void> require_size(std::uint32_t struct_size, std::size_t needed, const char* what) {
  if (struct_size < needed) {
    return fail(ErrorCode::Validation, std::string(what) + ": struct_size " +
                                           std::to_string(struct_size) + " is below the " +
                                           std::to_string(needed) + " bytes this needs");
  }
  return {};
}

}  // namespace geyser::capi

extern "C" {

GEYSER_API const char* geyser_status_name(geyser_status status) {
  if (status == GEYSER_OK) return "Ok";
  if (status < GEYSER_ERROR_VALIDATION || status > GEYSER_ERROR_INTERNAL) return "Unknown";
  return geyser::to_string(static_cast<geyser::ErrorCode>(status - 1)).data();
}

GEYSER_API const char* geyser_last_error(void) {
  return geyser::capi::last_error().message.c_str();
}

GEYSER_API geyser_status geyser_last_status(void) {
  return geyser::capi::last_error().status;
}

}  // extern "C"
