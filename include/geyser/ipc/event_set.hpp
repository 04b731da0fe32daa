// A set of native handles waited on together, itself one handle an event loop can watch:
// what Sender and Receiver expose as their native event handle. On Linux an epoll
// instance (level-triggered: readable while any member is readable). On Windows the members
// are events (set while something waits), wait() is WaitForMultipleObjects over them, and
// native_handle() is a manual-reset event that a watcher thread keeps set while a member
// is (event_set_win32.cpp; docs/windows.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

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
  /// Windows: `handle` is a manual-reset event (set while something waits, as connections'
  /// and listeners' are; an auto-reset one would be consumed by the watcher thread); at most
  /// kMaxMembers of them (Unsupported beyond: WaitForMultipleObjects takes 64 handles, and
  /// the watcher needs one); Validation if it is no handle of this process.
  [[nodiscard]] Result<void> add(NativeHandle handle);
  /// Stops watching `handle` (nothing happens when it is not watched).
  void remove(NativeHandle handle) noexcept;
  /// Waits at most `timeout` until a member is readable; true if one is.
  [[nodiscard]] bool wait(std::chrono::milliseconds timeout) const noexcept;
#if defined(_WIN32)
  /// The most members a set has on Windows (MAXIMUM_WAIT_OBJECTS - 1).
  static constexpr std::size_t kMaxMembers = 63;
  /// Windows: a manual-reset event (WaitForSingleObject, MsgWaitForMultipleObjects,
  /// RegisterWaitForSingleObject) set at once when a member is set, and reset when none is:
  /// at the next add, remove or wait() at once, else within about 10 ms (a watcher thread,
  /// started by the first call, polls the members while it is set). Owned by the set; the
  /// empty handle if the thread could not be started.
  [[nodiscard]] NativeHandle native_handle() const noexcept;

  EventSet(EventSet&& other) noexcept;
  EventSet& operator=(EventSet&& other) noexcept;
  EventSet(const EventSet&) = delete;
  EventSet& operator=(const EventSet&) = delete;
  ~EventSet();

 private:
  struct Members;  // event_set_win32.cpp
  explicit EventSet(std::unique_ptr<Members> members) noexcept;
  std::unique_ptr<Members> members_;
#else
  /// Readable (poll, epoll, GLib, Qt, asio) while a member is. Owned by the set.
  [[nodiscard]] NativeHandle native_handle() const noexcept {
    return handle_.get();
  }

 private:
  explicit EventSet(UniqueHandle handle) noexcept : handle_(std::move(handle)) {}
  UniqueHandle handle_;
#endif
};

}  // namespace geyser::ipc
