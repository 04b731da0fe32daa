// Fan-out on the frame board (docs/protocol.md, "Fan-out"), with receivers as child
// processes asleep on the board: one publish wakes every one of them through each other; a
// waiter that does not pass the wake on delays the rest only to the end of their wait
// slice, and they count it as a late wake; turning fan-out off wakes whoever was left.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "geyser/ipc/frame_board.hpp"

namespace geyser::ipc::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Exit codes of an honest waiter.
constexpr int kOnTime = 0;
constexpr int kLate = 10;  // it got the frame, and counted a late wake
constexpr int kNeverWoke = 2;
constexpr int kWaitFailed = 3;

// The wait slice of the honest waiters: a wake that reaches them is well inside it.
constexpr auto kSlice = 2s;

// A receiver's wait loop, in slices, until the board moves.
int honest(const BoardReader& reader, std::uint32_t seen) {
  const auto start = Clock::now();
  while (reader.wake_count() == seen) {
    if (Clock::now() - start > 10s) return kNeverWoke;
    if (!reader.wait(seen, kSlice)) return kWaitFailed;
  }
  return reader.late_wakes() > 0 ? kLate : kOnTime;
}

FrameRecord a_record() {
  FrameRecord r;
  r.generation = 1;
  r.frame = 1;
  r.timeline_value = 1;
  return r;
}

struct Board {
  BoardWriter writer = BoardWriter::create().value();
  BoardReader reader = BoardReader::open(writer.share().value()).value();
  // The board's own wake word, mapped apart: what a waiter uses that ignores the duty.
  SharedMemory raw =
      SharedMemory::open(writer.share().value(), kBoardSize, SharedAccess::CreatorWrites).value();
  SharedWake raw_wake =
      SharedWake::open(raw.bytes().subspan(16, 4), raw.bytes().subspan(32, kWakeTagSize),
                       WakeAccess::CreatorWakes)
          .value();

  // A waiter that sleeps on the wake word and exits when woken, waking nobody.
  pid_t spawn_selfish(std::uint32_t seen) {
    const pid_t pid = spawn([this, seen] { return raw_wake.wait(seen, 10s) ? 0 : 1; });
    std::this_thread::sleep_for(100ms);  // first in the futex's queue: the one woken
    return pid;
  }
  std::vector<pid_t> spawn_honest(int count, std::uint32_t seen) {
    std::vector<pid_t> pids;
    for (int i = 0; i < count; ++i)
      pids.push_back(spawn([this, seen] { return honest(reader, seen); }));
    std::this_thread::sleep_for(100ms);  // all asleep before the publish
    return pids;
  }

  // One selfish waiter first in the queue, two honest ones behind it, then one publish.
  struct Crowd {
    pid_t selfish;
    std::vector<pid_t> honest;
    Clock::time_point published;
  };
  Crowd publish_to_a_crowd(bool fan_out);
};

Board::Crowd Board::publish_to_a_crowd(bool fan_out) {
  if (fan_out) writer.set_fan_out(true);
  const std::uint32_t seen = reader.wake_count();
  Crowd crowd{spawn_selfish(seen), spawn_honest(2, seen), {}};
  crowd.published = Clock::now();
  writer.publish(a_record());
  return crowd;
}

TEST(FanOut, OnePublishWakesEveryWaitingProcess) {
  Board board;
  board.writer.set_fan_out(true);
  ASSERT_TRUE(board.reader.fan_out());
  const std::vector<pid_t> pids = board.spawn_honest(4, board.reader.wake_count());
  const auto published = Clock::now();
  board.writer.publish(a_record());
  for (const pid_t pid : pids) {
    const int code = exit_code(pid);
    EXPECT_TRUE(code == kOnTime || code == kLate) << "exit code " << code;
  }
  EXPECT_LT(Clock::now() - published, kSlice / 2) << "someone slept to the end of its slice";
}

TEST(FanOut, AWaiterThatPassesNothingOnDelaysTheOthersToTheirSliceAndTheyCountIt) {
  Board board;
  const Board::Crowd crowd = board.publish_to_a_crowd(true);
  EXPECT_EQ(exit_code(crowd.selfish), 0);
  for (const pid_t pid : crowd.honest) EXPECT_EQ(exit_code(pid), kLate) << "a late wake, counted";
}

TEST(FanOut, WithoutFanOutTheSelfishWaiterDelaysNobody) {
  Board board;
  const Board::Crowd crowd = board.publish_to_a_crowd(false);
  EXPECT_EQ(exit_code(crowd.selfish), 0);
  for (const pid_t pid : crowd.honest) EXPECT_EQ(exit_code(pid), kOnTime);
  EXPECT_LT(Clock::now() - crowd.published, kSlice / 2);
}

TEST(FanOut, TurningItOffWakesThoseLeftOnTheFanOutWord) {
  Board board;
  const Board::Crowd crowd = board.publish_to_a_crowd(true);
  EXPECT_EQ(exit_code(crowd.selfish), 0);
  std::this_thread::sleep_for(50ms);
  board.writer.set_fan_out(false);
  EXPECT_FALSE(board.reader.fan_out());
  for (const pid_t pid : crowd.honest) {
    const int code = exit_code(pid);  // late or not: they may look after it was off
    EXPECT_TRUE(code == kOnTime || code == kLate) << "exit code " << code;
  }
  EXPECT_LT(Clock::now() - crowd.published, kSlice / 2) << "off did not wake them";
}

TEST(FanOut, AReceiversLateWakesReachTheSenderOnItsPage) {
  auto senders = ReceiverPage::create();
  ASSERT_TRUE(senders);
  auto receivers = ReceiverPage::open(senders->share().value());
  ASSERT_TRUE(receivers) << receivers.error().to_string();
  EXPECT_EQ(senders->late_wakes(), 0u);
  receivers->report_late_wakes(3);
  EXPECT_EQ(senders->late_wakes(), 3u);
  receivers->claim(0, 5);
  EXPECT_EQ(senders->late_wakes(), 3u) << "the word is apart from slot 0's claim";
}

}  // namespace
}  // namespace geyser::ipc::test
