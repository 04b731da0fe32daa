// Worker processes for the benchmark matrix. The process that runs the matrix never
// initialises Vulkan: every device lives in a child forked from it, because forking a
// process whose Vulkan driver has started threads and mapped memory is undefined.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geyser/error.hpp"

namespace geyser::bench {

/// One T in an anonymous MAP_SHARED mapping, made before forking so that parent and
/// children see the same bytes. T must be plain data and lock-free atomics. Move-only.
template <typename T>
class SharedBlock {
 public:
  /// Maps and value-initialises one T. Internal (with errno) when mmap fails.
  [[nodiscard]] static Result<SharedBlock> create() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return fail(Error::from_errno(ErrorCode::OutOfMemory,
                                    "mmap(MAP_SHARED, " + std::to_string(sizeof(T)) + " bytes)",
                                    errno));
    }
    return SharedBlock(new (p) T{});
  }
  SharedBlock(SharedBlock&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}
  SharedBlock& operator=(SharedBlock&&) = delete;
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;
  ~SharedBlock() {
    if (value_ == nullptr) return;
    value_->~T();
    ::munmap(value_, sizeof(T));
  }
  T* operator->() const noexcept { return value_; }
  T& operator*() const noexcept { return *value_; }

 private:
  explicit SharedBlock(T* value) noexcept : value_(value) {}
  T* value_;
};

/// Copies `text` into a fixed buffer, cut to fit and NUL-terminated.
void set_text(std::span<char> buffer, std::string_view text) noexcept;

/// Forks a child that runs `body` and leaves with _exit(body's result), so that nothing of
/// the parent's (stdio buffers, atexit handlers) runs twice. Exceptions become exit code 3.
/// Internal when fork fails.
[[nodiscard]] Result<pid_t> spawn(const std::function<int()>& body);

/// Waits for every child in `pids` for at most `timeout`; children still running then are
/// killed (SIGKILL, by pid) and reaped. Internal naming the children that failed, were
/// killed by a signal or timed out.
[[nodiscard]] Result<void> wait_all(std::span<const pid_t> pids, std::chrono::seconds timeout);

/// The worker processes of one scenario: spawns them one by one, keeping the first spawn
/// failure, then waits for all that started.
class Children {
 public:
  /// Forks a child running `body` (spawn); a failure is kept for wait().
  void spawn(const std::function<int()>& body);
  /// True once a spawn failed.
  [[nodiscard]] bool failed() const noexcept { return spawn_error_.has_value(); }
  /// wait_all() over the children that started; then the first spawn failure, if any,
  /// else what wait_all() said.
  [[nodiscard]] Result<void> wait(std::chrono::seconds timeout);

 private:
  std::vector<pid_t> pids_;
  std::optional<Error> spawn_error_;
};

/// CLOCK_MONOTONIC in nanoseconds: the clock ReceivedFrame::timestamp_ns is stamped with,
/// shared by every process on the machine.
[[nodiscard]] std::uint64_t monotonic_ns() noexcept;

/// CPU time of the calling process, user and system, all threads, in nanoseconds
/// (CLOCK_PROCESS_CPUTIME_ID: what getrusage's ru_utime + ru_stime add up to, finer).
[[nodiscard]] std::uint64_t process_cpu_ns() noexcept;

/// Microseconds between two monotonic_ns() readings.
[[nodiscard]] inline double micros(std::uint64_t from, std::uint64_t to) noexcept {
  return static_cast<double>(to - from) / 1000.0;
}

static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "SharedBlock counters must be lock-free to work across processes");

}  // namespace geyser::bench
