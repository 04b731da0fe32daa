// Internal: CUresult to geyser::Error.
#pragma once

#include <cuda.h>

#include <string>

#include "driver_api.hpp"
#include "geyser/error.hpp"

namespace geyser::cuda::detail {

/// The ErrorCode for a CUresult: OutOfMemory, Validation (bad values and handles),
/// Unsupported (no device, not supported), DeviceLost (faults, ECC), Timeout (not ready),
/// Internal otherwise.
[[nodiscard]] ErrorCode error_code(CUresult result) noexcept;

/// An Error naming `call` and the result, "cuImportExternalMemory(fd 12, 8294400 bytes):
/// CUDA_ERROR_INVALID_VALUE (invalid argument)". `api` may be null (names then come
/// without the description).
[[nodiscard]] Error cuda_error(const DriverApi* api, CUresult result, const std::string& call);

/// Success, or cuda_error.
[[nodiscard]] inline Result<void> check(const DriverApi& api, CUresult result,
                                        const std::string& call) {
  if (result == CUDA_SUCCESS) return {};
  return tl::unexpected(cuda_error(&api, result, call));
}

}  // namespace geyser::cuda::detail
