// A 64-bit counter in shared memory that another process can wait on: the `cpu` sync
// mode's equivalent of a timeline semaphore.
#pragma once

#include <chrono>
#include <cstdint>

#include "geyser/error.hpp"
#include "geyser/shared_memory.hpp"
#include "geyser/shared_wake.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser {

/// A monotonically increasing counter in a shared page (SharedAccess::PeersWrite: a sealed
/// memfd on Linux, a file-mapping section on Windows), with a SharedWake both sides wake.
/// signal(v) raises it to v; wait(v, timeout) blocks until it is >= v. Share it by
/// exporting a handle (export_handle) and opening that handle in the other process (open).
/// Move-only. Thread-safe: any number of threads may signal and wait.
class CpuTimeline {
 public:
  /// A new counter starting at `initial`.
  [[nodiscard]] static Result<CpuTimeline> create(std::uint64_t initial = 0);
  /// Maps a counter exported by another CpuTimeline. Consumes `handle` (closed on failure and
  /// on destruction). Validation unless it is a shared page of the right size that cannot
  /// be resized (Linux: a memfd sealed against shrinking and growing, since a peer that
  /// shrank it would raise SIGBUS here; Windows: a section) holding a timeline, whose wake
  /// objects open.
  [[nodiscard]] static Result<CpuTimeline> open(UniqueHandle handle);

  CpuTimeline(CpuTimeline&& other) noexcept = default;
  CpuTimeline& operator=(CpuTimeline&& other) noexcept = default;
  CpuTimeline(const CpuTimeline&) = delete;
  CpuTimeline& operator=(const CpuTimeline&) = delete;
  ~CpuTimeline() = default;

  /// A new handle to the same counter, for another process; the caller owns it.
  [[nodiscard]] Result<UniqueHandle> export_handle() const;
  /// The current value.
  [[nodiscard]] std::uint64_t value() const noexcept;
  /// Raises the counter to `value` (never lowers it) and wakes every waiter.
  void signal(std::uint64_t value) noexcept;
  /// Waits until the counter is >= `value`. Timeout when `timeout` passes first.
  [[nodiscard]] Result<void> wait(std::uint64_t value, std::chrono::nanoseconds timeout) const;

 private:
  CpuTimeline(SharedMemory memory, SharedWake wake) noexcept
      : memory_(std::move(memory)), wake_(std::move(wake)) {}
  SharedMemory memory_;  // declared first: wake_ borrows its bytes
  SharedWake wake_;
};

}  // namespace geyser
