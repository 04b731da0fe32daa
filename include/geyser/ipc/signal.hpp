// A handle that is readable exactly while its owner says so: an eventfd on Linux, a
// manual-reset event on Windows. What the loopback transport shows its ends' readiness with,
// and what makes a frame board's wakes pollable (the channel core's board relay).
#pragma once

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc {

/// Readable (poll, epoll, WaitForSingleObject) exactly while set(true) was the last call.
/// Not thread-safe: its owner serializes create, set and close. Move-only.
class Signal {
 public:
  Signal() noexcept = default;
  /// Internal (naming `what`) when the OS cannot make one.
  [[nodiscard]] static Result<Signal> create(const char* what);
  /// Raises or lowers it when `readable` differs from what it shows now. Never fails.
  void set(bool readable) noexcept;
  /// Closes it; get() is then empty.
  void close() noexcept {
    handle_.reset();
    raised_ = false;
  }
  [[nodiscard]] NativeHandle get() const noexcept { return handle_.get(); }

 private:
  UniqueHandle handle_;
  bool raised_ = false;
};

}  // namespace geyser::ipc
