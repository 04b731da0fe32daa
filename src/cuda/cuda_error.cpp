// CUresult to geyser::Error.
#include "cuda_error.hpp"

namespace geyser::cuda::detail {

ErrorCode error_code(CUresult result) noexcept {
  switch (result) {
    case CUDA_ERROR_OUT_OF_MEMORY: return ErrorCode::OutOfMemory;
    case CUDA_ERROR_INVALID_VALUE:
    case CUDA_ERROR_INVALID_HANDLE:
    case CUDA_ERROR_INVALID_CONTEXT:
    case CUDA_ERROR_INVALID_DEVICE: return ErrorCode::Validation;
    case CUDA_ERROR_NO_DEVICE:
    case CUDA_ERROR_NOT_SUPPORTED:
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    case CUDA_ERROR_NO_BINARY_FOR_GPU:
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
    case CUDA_ERROR_OPERATING_SYSTEM: return ErrorCode::Unsupported;
    case CUDA_ERROR_ILLEGAL_ADDRESS:
    case CUDA_ERROR_LAUNCH_FAILED:
    case CUDA_ERROR_ECC_UNCORRECTABLE:
    case CUDA_ERROR_HARDWARE_STACK_ERROR:
    case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case CUDA_ERROR_MISALIGNED_ADDRESS:
    case CUDA_ERROR_INVALID_ADDRESS_SPACE:
    case CUDA_ERROR_INVALID_PC: return ErrorCode::DeviceLost;
    case CUDA_ERROR_NOT_READY:
    case CUDA_ERROR_TIMEOUT: return ErrorCode::Timeout;
    default: return ErrorCode::Internal;
  }
}

Error cuda_error(const DriverApi* api, CUresult result, const std::string& call) {
  std::string text = call + ": ";
  const char* name = nullptr;
  const char* description = nullptr;
  if (api != nullptr && api->cuGetErrorName != nullptr) (void)api->cuGetErrorName(result, &name);
  if (api != nullptr && api->cuGetErrorString != nullptr) {
    (void)api->cuGetErrorString(result, &description);
  }
  text += name != nullptr ? name : "CUresult " + std::to_string(static_cast<int>(result));
  if (description != nullptr) text += std::string(" (") + description + ")";
  return Error(error_code(result), std::move(text), NativeDomain::CUresult,
               static_cast<std::int64_t>(result));
}

}  // namespace geyser::cuda::detail
