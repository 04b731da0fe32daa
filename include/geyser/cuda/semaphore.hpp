// Exported timeline semaphores (Vulkan's, as opaque fds) imported into CUDA, waited for
// and signalled on a stream.
#pragma once

#include <cstdint>
#include <memory>

#include <cuda.h>

#include "geyser/cuda/device.hpp"
#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::cuda {

/// A timeline semaphore imported with CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD.
/// Owns the CUexternalSemaphore and keeps its Context's primary context alive. Move-only.
class TimelineSemaphore {
 public:
  /// Imports `fd`, an exported timeline semaphore of the same GPU (the caller has checked
  /// the identity). Consumes `fd` on success and on failure: CUDA owns it after a
  /// successful import, and it is closed here otherwise. Validation for an fd that cannot
  /// be a driver's export; CUDA errors name the call.
  [[nodiscard]] static Result<TimelineSemaphore> import(const Context& context, UniqueHandle fd);
  /// Imports a duplicate of `handle`'s fd after checking it: its identity (check_identity:
  /// DeviceMismatch), its type (Validation unless Timeline) and its handle type. `handle`
  /// is not consumed.
  [[nodiscard]] static Result<TimelineSemaphore> import(const Context& context,
                                                        const SemaphoreShareHandle& handle);

  TimelineSemaphore(TimelineSemaphore&&) noexcept;
  TimelineSemaphore& operator=(TimelineSemaphore&&) noexcept;
  TimelineSemaphore(const TimelineSemaphore&) = delete;
  TimelineSemaphore& operator=(const TimelineSemaphore&) = delete;
  /// Destroy only once no queued wait or signal on it is pending.
  ~TimelineSemaphore();

  /// Queues on `stream` a wait until the semaphore reaches `value`
  /// (cuWaitExternalSemaphoresAsync): work queued on `stream` after it runs after the signal.
  /// Queue it only for a value that someone has signalled or submitted a signal for: the
  /// stream blocks until then.
  [[nodiscard]] Result<void> wait(std::uint64_t value, CUstream stream) const;
  /// Queues on `stream` a signal of `value`, after the work queued before it
  /// (cuSignalExternalSemaphoresAsync). Timeline values only rise: signal rising values.
  [[nodiscard]] Result<void> signal(std::uint64_t value, CUstream stream) const;
  [[nodiscard]] CUexternalSemaphore get() const noexcept;

 private:
  struct State;
  explicit TimelineSemaphore(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace geyser::cuda
