// A 64-bit counter in shared memory that another process can wait on: the `cpu` sync
// mode's equivalent of a timeline semaphore.
#pragma once

#include <chrono>
#include <cstdint>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser {

/// A monotonically increasing counter in a sealed memfd page, waited on with a futex.
/// signal(v) raises it to v; wait(v, timeout) blocks until it is >= v. Share it by
/// exporting its fd (export_fd) and opening that fd in the other process (open). Move-only.
/// Thread-safe: any number of threads may signal and wait.
class CpuTimeline {
 public:
  /// A new counter starting at `initial`.
  [[nodiscard]] static Result<CpuTimeline> create(std::uint64_t initial = 0);
  /// Maps a counter exported by another CpuTimeline. Consumes `fd` (closed on failure and on
  /// destruction). Validation if it is not a sealed memfd of the right size (a peer must not
  /// be able to shrink it under us, which would raise SIGBUS here).
  [[nodiscard]] static Result<CpuTimeline> open(UniqueFd fd);

  CpuTimeline(CpuTimeline&& other) noexcept;
  CpuTimeline& operator=(CpuTimeline&& other) noexcept;
  CpuTimeline(const CpuTimeline&) = delete;
  CpuTimeline& operator=(const CpuTimeline&) = delete;
  ~CpuTimeline();

  /// A new fd for the same counter, for another process; the caller owns it.
  [[nodiscard]] Result<UniqueFd> export_fd() const;
  /// The current value.
  [[nodiscard]] std::uint64_t value() const noexcept;
  /// Raises the counter to `value` (never lowers it) and wakes every waiter.
  void signal(std::uint64_t value) noexcept;
  /// Waits until the counter is >= `value`. Timeout when `timeout` passes first.
  [[nodiscard]] Result<void> wait(std::uint64_t value, std::chrono::nanoseconds timeout) const;

 private:
  CpuTimeline(UniqueFd fd, void* mapping) noexcept : fd_(std::move(fd)), mapping_(mapping) {}
  UniqueFd fd_;
  void* mapping_ = nullptr;
};

}  // namespace geyser
