// Makes a frame board's wakes pollable: a thread blocks on the board's wake counter and raises
// an ipc::Signal (an eventfd on Linux, an event on Windows), for receivers driven by an event loop
// (ReceiverCore::native_event_handle). Made only when the application asks for that handle, so that
// the sender still wakes every receiver with one futex wake and pays nothing per receiver.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "geyser/error.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/signal.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::channel::detail {

class BoardRelay {
 public:
  [[nodiscard]] static Result<std::unique_ptr<BoardRelay>> create();
  ~BoardRelay();
  BoardRelay(const BoardRelay&) = delete;
  BoardRelay& operator=(const BoardRelay&) = delete;

  /// Readable after the followed board woke (a frame, or a socket message on its way).
  [[nodiscard]] NativeHandle handle() const noexcept { return signal_.get(); }
  /// Follows `board` from now on (nullptr: none); the thread restarts on it.
  void follow(std::shared_ptr<const ipc::BoardReader> board);
  /// Clears the handle's readiness (the receiver looks at the board next).
  void drain() noexcept;

 private:
  explicit BoardRelay(ipc::Signal signal) noexcept : signal_(std::move(signal)) {}
  void stop() noexcept;
  void run(std::shared_ptr<const ipc::BoardReader> board, std::uint32_t seen) noexcept;
  void raise() noexcept;
  std::mutex signal_lock_;  // the thread raises signal_, the receiver's thread lowers it
  ipc::Signal signal_;
  std::shared_ptr<const ipc::BoardReader> board_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace geyser::channel::detail
