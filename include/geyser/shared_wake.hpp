// A wake counter in shared memory that waiters in other processes sleep on: what the frame
// board and CpuTimeline wait with. On Linux a futex on the counter; on Windows three named
// events in rotation (shared_wake_win32.cpp), named by a random tag kept beside the counter
// in the same shared memory. docs/protocol.md, "Wake counters".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "geyser/error.hpp"

namespace geyser {

/// Bytes of the wake tag: what the platform keeps in shared memory to find the wake's OS
/// objects (Linux: unused, all zero; Windows: 16 random bytes naming the events).
inline constexpr std::size_t kWakeTagSize = 16;

/// Who may wake a SharedWake's waiters.
enum class WakeAccess : std::uint8_t {
  /// Only the creator (the frame board): openers may wait but not wake other processes.
  CreatorWakes,
  /// The creator and every opener (a CPU timeline).
  PeersWake,
};

/// A 32-bit wake counter in shared memory and what wakes its waiters in other processes.
/// It borrows the counter (4 aligned bytes) and the tag (kWakeTagSize bytes), both in a
/// shared mapping that must outlive it and stay at its address. Move-only. Thread-safe:
/// any number of threads may wait and wake.
class SharedWake {
 public:
  /// The creator's side: makes the OS objects (none on Linux) and writes the tag. `counter`
  /// and `tag` must be writable. Internal when the OS refuses.
  [[nodiscard]] static Result<SharedWake> create(std::span<std::byte> counter,
                                                 std::span<std::byte> tag, WakeAccess access);
  /// A peer's side: opens the OS objects the tag names, with only what `access` allows.
  /// `counter` may be read-only for CreatorWakes. Validation when the tag names nothing
  /// that can be opened so.
  [[nodiscard]] static Result<SharedWake> open(std::span<std::byte> counter,
                                               std::span<const std::byte> tag, WakeAccess access);

  SharedWake(SharedWake&& other) noexcept;
  SharedWake& operator=(SharedWake&& other) noexcept;
  SharedWake(const SharedWake&) = delete;
  SharedWake& operator=(const SharedWake&) = delete;
  ~SharedWake();

  /// The counter now (acquire): read it before looking at what you wait for.
  [[nodiscard]] std::uint32_t count() const noexcept;
  /// Sleeps while count() is `seen`, at most `timeout`. Returns on a wake, on a timeout
  /// and spuriously alike: the caller re-reads what it waits for. Internal when the OS
  /// fails.
  [[nodiscard]] Result<void> wait(std::uint32_t seen, std::chrono::nanoseconds timeout) const;
  /// Adds 1 to the counter and wakes every waiter, in every process. Only where the
  /// counter is writable and the side may wake (the creator, or any side for PeersWake).
  void wake() noexcept;
  /// Wakes the waiters of this process without changing the counter (their wait returns,
  /// they re-read and wait again): how a process stops a thread of its own that waits.
  void wake_local() const noexcept;
  /// A fan-out wake: adds 1 to the counter like wake(), but wakes only one waiter and moves
  /// every other onto `fan_out_word` (4 aligned bytes of the same shared memory, which no
  /// one changes), where they sleep until someone calls wake_fan_out on it: the waker pays
  /// for one wake-up however many wait. Linux: FUTEX_CMP_REQUEUE (wake() where it fails).
  /// Windows: wake() (the events wake every waiter anyway). Same sides as wake().
  void wake_one_fan_out(std::span<const std::byte> fan_out_word) noexcept;
  /// Wakes every waiter moved onto `fan_out_word` by wake_one_fan_out, from any side, on a
  /// read-only mapping too (Linux: FUTEX_WAKE; Windows: nothing, as nothing was moved).
  static void wake_fan_out(std::span<const std::byte> fan_out_word) noexcept;

 private:
  struct Platform;  // the OS objects: shared_wake_futex.cpp, shared_wake_win32.cpp
  SharedWake(std::byte* counter, std::unique_ptr<Platform> platform) noexcept;
  std::byte* counter_ = nullptr;
  std::unique_ptr<Platform> platform_;
};

}  // namespace geyser
