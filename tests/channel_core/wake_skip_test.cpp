// A present wakes nobody while no receiver sleeps on the board (docs/protocol.md,
// "Sleepers"), and wakes whoever may: a receiver asleep in acquire, one with an event
// handle, a peer that does not count its sleepers.
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<FakeReceiverControl> sleeping_at_once() {
  auto control = std::make_shared<FakeReceiverControl>();
  control->spin = 0us;
  return control;
}

TEST(WakeSkip, APresentWhileTheReceiverIsNotWaitingWakesNobody) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t skipped = sender->stats().wakes_skipped;
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    EXPECT_EQ(sender->stats().wakes_skipped, skipped + 1);
    auto lease = receiver->acquire(kWait);  // it finds the frame without being woken
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    EXPECT_TRUE(holds_pattern(*lease));
  }
}

TEST(WakeSkip, AReceiverAsleepInAcquireIsWokenForTheFrame) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport, sleeping_at_once());
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  for (int i = 0; i < 3; ++i) {
    Result<FrameLease> lease = fail(ErrorCode::Internal, "not run");
    std::thread waiting([&] { lease = receiver->acquire(kBound); });
    std::this_thread::sleep_for(200ms);  // long asleep on the board by now
    const std::uint64_t skipped = sender->stats().wakes_skipped;
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    EXPECT_EQ(sender->stats().wakes_skipped, skipped) << "the receiver's page said it slept";
    waiting.join();
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    EXPECT_TRUE(holds_pattern(*lease));
  }
  // Back from acquire, it no longer counts as a sleeper.
  const std::uint64_t skipped = sender->stats().wakes_skipped;
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_EQ(sender->stats().wakes_skipped, skipped + 1);
}

TEST(WakeSkip, AReceiverWithAnEventHandleIsWokenForEveryFrame) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  const NativeHandle handle = receiver->native_event_handle();  // a thread waits on the board
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  const std::uint64_t skipped = sender->stats().wakes_skipped;
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_EQ(sender->stats().wakes_skipped, skipped);
  EXPECT_TRUE(readable(handle, 2000)) << "the frame's wake reached the event handle";
}

TEST(WakeSkip, APeerThatDoesNotCountItsSleepersIsWokenUntilItDoes) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto peer = transport->connect(kChannel, kShort);
  ASSERT_TRUE(peer) << peer.error().to_string();
  auto hello = send_message(**peer, fake_hello());
  ASSERT_TRUE(hello) << hello.error().to_string();
  ASSERT_TRUE(sender->poll());
  const PeerSaw joined = drain(**peer, kShort);
  ASSERT_TRUE(joined.board && joined.page);
  // Its page's word is 0, as a receiver's that predates the rule: every present wakes.
  const std::uint32_t seen = joined.board->wake_count();
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_EQ(sender->stats().wakes_skipped, 0u);
  EXPECT_NE(joined.board->wake_count(), seen);
  joined.page->count_sleepers(false);
  const std::uint32_t now = joined.board->wake_count();
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_EQ(sender->stats().wakes_skipped, 1u);
  EXPECT_EQ(joined.board->wake_count(), now) << "nobody asleep: the wake word stays";
  EXPECT_EQ(joined.board->newest()->frame, 2u) << "the record is announced all the same";
  joined.page->begin_sleep();
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_EQ(sender->stats().wakes_skipped, 1u);
  EXPECT_NE(joined.board->wake_count(), now);
}

}  // namespace
}  // namespace geyser::channel::test
