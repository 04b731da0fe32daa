// A set of native handles waited on together, itself one handle an event loop can watch:
// what Sender and Receiver expose as their native event handle. On Linux an epoll
// instance (level-triggered: readable while any member is readable).
#pragma once

#include <chrono>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc {

/// Handles waited on together. Move-only. Not thread-safe (add and remove from the thread
/// that owns the sender or receiver); native_handle() may be watched from any thread.
class EventSet {
 public:
  /// A new, empty set. Internal when the OS refuses (epoll_create1).
  [[nodiscard]] static Result<EventSet> create();

  /// Watches `handle` for readability. It is borrowed: remove it before closing it.
  [[nodiscard]] Result<void> add(NativeHandle handle);
  /// Stops watching `handle` (nothing happens when it is not watched).
  void remove(NativeHandle handle) noexcept;
  /// Waits at most `timeout` until a member is readable; true if one is.
  [[nodiscard]] bool wait(std::chrono::milliseconds timeout) const noexcept;
  /// Readable (poll, epoll, GLib, Qt, asio) while a member is. Owned by the set.
  [[nodiscard]] NativeHandle native_handle() const noexcept { return handle_.get(); }

 private:
  explicit EventSet(UniqueHandle handle) noexcept : handle_(std::move(handle)) {}
  UniqueHandle handle_;
};

}  // namespace geyser::ipc
