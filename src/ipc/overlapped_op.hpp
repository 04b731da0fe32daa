// One overlapped operation slot on Windows (internal): an OVERLAPPED at a stable address and
// its manual-reset event, which is what callers wait on, with a timeout.
#pragma once

#include <windows.h>

#include <memory>

#include "geyser/error.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc::win32 {

/// The longest single wait, in ms, a Milliseconds timeout becomes (INFINITE excluded).
[[nodiscard]] DWORD wait_ms(Milliseconds timeout) noexcept;

/// An OVERLAPPED and its event for one operation at a time. Move-only; the OVERLAPPED does
/// not move (the kernel writes into it while the operation is in flight).
class OverlappedOp {
 public:
  /// A new slot; Internal (naming `what`) when no event can be made.
  [[nodiscard]] static Result<OverlappedOp> create(const char* what);

  /// The OVERLAPPED for the next ReadFile, WriteFile or ConnectNamedPipe, cleared, with the
  /// event attached (the call resets the event).
  [[nodiscard]] OVERLAPPED* start() noexcept;
  [[nodiscard]] OVERLAPPED* overlapped() const noexcept { return overlapped_.get(); }
  /// Signalled when the operation completes (or by signal()).
  [[nodiscard]] HANDLE event() const noexcept { return event_.get(); }
  /// Sets the event by hand: for a result that came without an operation in flight.
  void signal() const noexcept { (void)SetEvent(event_.get()); }
  /// Waits at most `timeout` for the event; true when it is set.
  [[nodiscard]] bool wait(Milliseconds timeout) const noexcept;
  /// Cancels the operation on `file` (if still in flight) and waits until it has ended, so
  /// that the OVERLAPPED and the buffer it uses may be reused or freed.
  void cancel(HANDLE file) const noexcept;

 private:
  OverlappedOp(UniqueHandle event, std::unique_ptr<OVERLAPPED> overlapped) noexcept
      : event_(std::move(event)), overlapped_(std::move(overlapped)) {}
  UniqueHandle event_;
  std::unique_ptr<OVERLAPPED> overlapped_;
};

}  // namespace geyser::ipc::win32
