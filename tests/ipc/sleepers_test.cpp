// The sleepers word of a receiver page (docs/protocol.md, "Sleepers"): a publish wakes only
// when some receiver may be asleep on the board, and a receiver that counts itself before
// its last look is never left asleep with a record it was not woken for.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "geyser/ipc/frame_board.hpp"

namespace geyser::ipc::test {
namespace {

using namespace std::chrono_literals;

FrameRecord record(std::uint64_t frame) {
  FrameRecord r;
  r.generation = 1;
  r.frame = frame;
  r.timeline_value = frame;
  return r;
}

// The sender's publish under the rule: the record, then the page, then the wake if needed.
bool publish_if_asleep(BoardWriter& writer, const ReceiverPage& page, std::uint64_t frame) {
  writer.announce(record(frame));
  if (!page.may_sleep()) return false;
  writer.wake_published();
  return true;
}

struct Channel {
  BoardWriter writer = BoardWriter::create().value();
  BoardReader reader = BoardReader::open(writer.share().value()).value();
  ReceiverPage sender_page = ReceiverPage::create().value();                    // read
  ReceiverPage page = ReceiverPage::open(sender_page.share().value()).value();  // written
};

TEST(Sleepers, ThePageSaysWhetherAThreadMaySleep) {
  Channel c;
  EXPECT_TRUE(c.sender_page.may_sleep()) << "a receiver that does not count: always woken";
  c.page.count_sleepers(false);
  EXPECT_FALSE(c.sender_page.may_sleep());
  c.page.begin_sleep();
  c.page.begin_sleep();
  EXPECT_TRUE(c.sender_page.may_sleep());
  c.page.end_sleep();
  EXPECT_TRUE(c.sender_page.may_sleep()) << "one of two threads still sleeps";
  c.page.end_sleep();
  EXPECT_FALSE(c.sender_page.may_sleep());
  c.page.count_sleepers(true);  // a thread of its own waits there all along
  EXPECT_TRUE(c.sender_page.may_sleep());
}

TEST(Sleepers, APublishThatFindsNobodyAsleepLeavesTheWakeWordAndAnnouncesTheRecord) {
  Channel c;
  c.page.count_sleepers(false);
  const std::uint32_t seen = c.reader.wake_count();
  EXPECT_FALSE(publish_if_asleep(c.writer, c.sender_page, 1));
  EXPECT_EQ(c.reader.wake_count(), seen);
  EXPECT_EQ(c.reader.published(), 1u);
  const auto newest = c.reader.newest();
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->frame, 1u);
  c.page.begin_sleep();
  EXPECT_TRUE(publish_if_asleep(c.writer, c.sender_page, 2));
  EXPECT_NE(c.reader.wake_count(), seen);
}

// A receiver process that sleeps for each record by the rule, `frames` times; it exits 0
// when it saw them all, 1 when a wait ended without a wake while a record it had not seen
// was on the board (a lost wake), 2 when the board stopped moving.
//
// A wait may also end early with nothing new: the sender bumps the wake count before its
// futex wake, so a thread that read the new count and went to sleep on it can be woken by
// that earlier publish's system call (a stale wake, as futex(2) allows). Like the
// receiver's own loop, this one looks again; only a wait that ran its whole slice counts.
int follow_by_the_rule(const BoardReader& reader, ReceiverPage& page, std::uint64_t frames) {
  constexpr auto kSlice = 5s;  // far longer than any wake takes: a lost wake shows as a slice
  page.count_sleepers(false);
  std::uint64_t last = 0;
  while (last < frames) {
    page.begin_sleep();
    const std::uint32_t seen = reader.wake_count();
    const std::uint64_t now = reader.published();
    if (now != last) {
      last = now;
      page.end_sleep();
      continue;
    }
    const auto asleep_at = std::chrono::steady_clock::now();
    if (!reader.wait(seen, kSlice)) return 3;
    const bool whole_slice = std::chrono::steady_clock::now() - asleep_at >= kSlice;
    page.end_sleep();
    const bool woken = reader.wake_count() != seen;
    const std::uint64_t after = reader.published();
    if (!woken && whole_slice) return after != last ? 1 : 2;
    last = after;
  }
  return 0;
}

TEST(Sleepers, AReceiverThatCountsItselfBeforeItsLookIsNeverLeftAsleep) {
  Channel c;
  constexpr std::uint64_t kFrames = 3000;
  const pid_t child = spawn([&] { return follow_by_the_rule(c.reader, c.page, kFrames); });
  // Publishes at varied intervals, so that some find the receiver asleep, some looking.
  std::uint64_t woke = 0;
  for (std::uint64_t frame = 1; frame <= kFrames; ++frame) {
    if (publish_if_asleep(c.writer, c.sender_page, frame)) ++woke;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(frame % 40);
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  EXPECT_EQ(exit_code(child), 0) << "1: a lost wake; 2: the board stopped moving";
  EXPECT_GT(woke, 0u);
}

}  // namespace
}  // namespace geyser::ipc::test
