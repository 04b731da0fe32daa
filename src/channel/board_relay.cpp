#include "board_relay.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace geyser::channel::detail {

Result<std::unique_ptr<BoardRelay>> BoardRelay::create() {
  UniqueHandle event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event) return fail(Error::from_errno(ErrorCode::Internal, "BoardRelay: eventfd", errno));
  return std::unique_ptr<BoardRelay>(new BoardRelay(std::move(event)));
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
    const std::uint64_t one = 1;
    (void)::write(event_.get(), &one, sizeof one);  // non-blocking: a full counter is ready anyway
  }
}

void BoardRelay::drain() noexcept {
  std::uint64_t count = 0;
  (void)::read(event_.get(), &count, sizeof count);
}

}  // namespace geyser::channel::detail
