// Internal: a geyser_receiver is one ReceiverEnd, by API (receiver_host.cpp,
// receiver_vulkan.cpp, receiver_opengl.cpp, receiver_cuda.cpp). The entry points in
// receiver.cpp fill what every frame has from the channel core; the end fills its native part.
#pragma once

#include <dlpack/dlpack.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "device.hpp"
#include "geyser/channel/receiver_core.hpp"
#include "geyser/error.hpp"
#include "geyser/geyser.h"

namespace geyser::capi {

/// Rows of device memory a CUDA receiver hands out (geyser_receiver_cuda_rows).
struct CudaRows {
  std::uint64_t data = 0;
  std::uint64_t row_pitch = 0;
  std::shared_ptr<void> owner;  ///< what keeps them (an import, or the receiver's copy)
  int device_ordinal = 0;       ///< the CUDA device they are on (DLPack's device_id)
};

class ReceiverEnd {
 public:
  virtual ~ReceiverEnd() = default;
  /// The typed receiver's acquire; fills the native part of `out`.
  [[nodiscard]] virtual Result<void> acquire(std::chrono::milliseconds timeout,
                                             geyser_frame& out) = 0;
  [[nodiscard]] virtual Result<void> release() = 0;
  [[nodiscard]] virtual channel::ReceiverCore& core() = 0;
  /// CUDA receivers; the others say Validation.
  [[nodiscard]] virtual Result<void> cuda_wait(void* stream);
  [[nodiscard]] virtual Result<CudaRows> cuda_rows();
  /// Host receivers: the held frame's mapping; the others say Validation.
  [[nodiscard]] virtual Result<const void*> host_data();

 protected:
  [[nodiscard]] static tl::unexpected<Error> not_cuda(const char* what);
};

/// The ends, each in its own file. `device` is the options' device (may be null).
[[nodiscard]] Result<std::unique_ptr<ReceiverEnd>> connect_host(
    const std::string& name, std::chrono::milliseconds timeout,
    const channel::ReceiverOptions& options);
[[nodiscard]] Result<std::unique_ptr<ReceiverEnd>> connect_vulkan(
    const geyser_device* device, const std::string& name, std::chrono::milliseconds timeout,
    const channel::ReceiverOptions& options);
[[nodiscard]] Result<std::unique_ptr<ReceiverEnd>> connect_opengl(
    const std::string& name, std::chrono::milliseconds timeout,
    const channel::ReceiverOptions& options);
/// Unsupported in a build without CUDA.
[[nodiscard]] Result<std::unique_ptr<ReceiverEnd>> connect_cuda(
    const geyser_device* device, const std::string& name, std::chrono::milliseconds timeout,
    const channel::ReceiverOptions& options);

/// A non-negative C timeout as milliseconds (a negative one is 0).
[[nodiscard]] std::chrono::milliseconds millis(std::int32_t timeout_ms) noexcept;

}  // namespace geyser::capi

struct geyser_receiver {
  std::unique_ptr<geyser::capi::ReceiverEnd> end;
};

struct geyser_memory_ref {
  std::shared_ptr<void> memory;
  std::shared_ptr<void> extra;
};
