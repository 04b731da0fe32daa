#include "board_relay.hpp"

#include <chrono>

namespace geyser::channel::detail {

Result<std::unique_ptr<BoardRelay>> BoardRelay::create() {
  GEYSER_TRY(ipc::Signal signal, ipc::Signal::create("BoardRelay"));
  return std::unique_ptr<BoardRelay>(new BoardRelay(std::move(signal)));
}

BoardRelay::~BoardRelay() {
  stop();
}

void BoardRelay::follow(std::shared_ptr<const ipc::BoardReader> board) {
  stop();
  board_ = std::move(board);
  if (!board_) return;
  stopping_ = false;
  // Read here, not in the thread: a frame published before the thread runs still wakes us.
  const std::uint32_t seen = board_->wake_count();
  thread_ = std::thread([this, board = board_, seen] { run(board, seen); });
}

void BoardRelay::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_ = true;
  board_->wake_waiters();  // our own thread among them; others just look again
  thread_.join();
}

void BoardRelay::run(std::shared_ptr<const ipc::BoardReader> board, std::uint32_t seen) noexcept {
  while (!stopping_) {
    // Bounded, so that a stop is seen even if its wake came before this wait began.
    (void)board->wait(seen, std::chrono::milliseconds(100));
    const std::uint32_t now = board->wake_count();
    if (now == seen) continue;
    seen = now;
    raise();
  }
}

void BoardRelay::raise() noexcept {
  const std::lock_guard<std::mutex> guard(signal_lock_);
  signal_.set(true);
}

void BoardRelay::drain() noexcept {
  const std::lock_guard<std::mutex> guard(signal_lock_);
  signal_.set(false);
}

}  // namespace geyser::channel::detail
