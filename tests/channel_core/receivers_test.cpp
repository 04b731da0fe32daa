// Several receivers: joining and leaving at any point, the ring growing with them, and
// receivers that stop reading, which must never stall the sender or the others.
#include <algorithm>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

struct Rig {
  std::shared_ptr<TestTransport> transport = make_transport();
  std::shared_ptr<FakeSenderControl> control = std::make_shared<FakeSenderControl>();
  std::optional<SenderCore> sender;

  void publish() {
    auto published = publish_fake(transport, control);
    ASSERT_TRUE(published) << published.error().to_string();
    sender.emplace(std::move(published).value());
  }
  ReceiverCore join(const std::shared_ptr<FakeReceiverControl>& receiver_control =
                        std::make_shared<FakeReceiverControl>()) {
    auto receiver = connect_fake(*sender, transport, receiver_control);
    EXPECT_TRUE(receiver) << receiver.error().to_string();
    return std::move(receiver).value();
  }
  std::uint64_t write() {
    auto written = write_frame(*sender);
    EXPECT_TRUE(written) << "the sender could not write: " << written.error().to_string();
    return written ? *written : 0;
  }
};

// Acquires the frame just written and checks it.
void expect_frame(ReceiverCore& receiver, std::uint64_t frame) {
  auto lease = receiver.acquire(kWait);
  ASSERT_TRUE(lease) << "frame " << frame << ": " << lease.error().to_string();
  EXPECT_EQ(lease->frame, frame);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Receivers, JoinAndLeaveAtAnyPoint) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto c1 = std::make_shared<FakeReceiverControl>();
  auto c2 = std::make_shared<FakeReceiverControl>();
  auto c3 = std::make_shared<FakeReceiverControl>();
  std::optional<ReceiverCore> r1(rig.join(c1));
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(expect_frame(*r1, rig.write()));
  EXPECT_FALSE(rig.sender->stats().fan_out) << "one receiver: the sender wakes it itself";

  std::optional<ReceiverCore> r2(rig.join(c2));  // mid-stream
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t f = rig.write();
    ASSERT_NO_FATAL_FAILURE(expect_frame(*r1, f));
    ASSERT_NO_FATAL_FAILURE(expect_frame(*r2, f));
  }
  EXPECT_EQ(rig.sender->stats().receivers, 2u);
  EXPECT_TRUE(rig.sender->stats().fan_out) << "two receivers: one wakes the other";

  r1.reset();  // leaves holding a frame
  EXPECT_EQ(c1->live_imports, 0);
  for (int i = 0; i < 4; ++i) ASSERT_NO_FATAL_FAILURE(expect_frame(*r2, rig.write()));
  EXPECT_EQ(rig.sender->stats().receivers, 1u);
  EXPECT_FALSE(rig.sender->stats().fan_out);

  std::optional<ReceiverCore> r3(rig.join(c3));
  ASSERT_NO_FATAL_FAILURE(expect_frame(*r3, rig.write()));
  const std::uint64_t given = rig.write();  // r2 leaves holding one frame, given another
  r2.reset();
  ASSERT_NO_FATAL_FAILURE(expect_frame(*r3, given));
  for (int i = 0; i < 4; ++i) ASSERT_NO_FATAL_FAILURE(expect_frame(*r3, rig.write()));
  EXPECT_EQ(rig.sender->stats().receivers, 1u);
  // One receiver left: one link per slot of the ring, none waiting to be collected.
  ASSERT_TRUE(rig.sender->poll());
  EXPECT_EQ(rig.control->live_links, static_cast<int>(rig.control->slot_count));
  EXPECT_EQ(rig.control->retired_links, 0);

  r3.reset();
  rig.sender.reset();
  EXPECT_EQ(rig.control->live_links, 0);
  EXPECT_EQ(c2->live_imports, 0);
  EXPECT_EQ(c3->live_imports, 0);
  EXPECT_EQ(rig.control->violations, 0) << rig.control->last_violation;
  EXPECT_EQ(c1->violations + c2->violations + c3->violations, 0);
}

TEST(Receivers, RingGrowsWithReceiversByGenerationsAndDoesNotShrink) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto c1 = std::make_shared<FakeReceiverControl>();
  std::vector<ReceiverCore> receivers;
  receivers.push_back(rig.join(c1));
  (void)rig.write();
  EXPECT_EQ(rig.control->slot_count, 3u);
  EXPECT_EQ(rig.sender->stats().generation, 1u);
  std::uint64_t imports = 3;
  for (std::uint32_t n = 2; n <= 4; ++n) {
    receivers.push_back(rig.join());
    const std::uint64_t f = rig.write();
    EXPECT_EQ(rig.control->slot_count, 2 * n + 1);
    EXPECT_EQ(rig.sender->stats().generation, n);
    imports += 2 * n + 1;
    for (auto& receiver : receivers) ASSERT_NO_FATAL_FAILURE(expect_frame(receiver, f));
    EXPECT_EQ(receivers.front().stats().imports, imports);
  }
  receivers.pop_back();
  receivers.pop_back();
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t f = rig.write();
    for (auto& receiver : receivers) ASSERT_NO_FATAL_FAILURE(expect_frame(receiver, f));
  }
  EXPECT_EQ(rig.control->slot_count, 9u);
  EXPECT_EQ(rig.sender->stats().generation, 4u);
  EXPECT_EQ(rig.sender->stats().receivers, 2u);
}

TEST(Receivers, ALargerInitialRingIsKept) {
  Rig rig;
  SenderOptions options = sender_options(rig.transport);
  options.slots = 6;
  auto published = publish_fake(options, rig.control);
  ASSERT_TRUE(published);
  rig.sender.emplace(std::move(published).value());
  std::vector<ReceiverCore> receivers;
  receivers.push_back(rig.join());
  receivers.push_back(rig.join());
  const std::uint64_t f = rig.write();
  EXPECT_EQ(rig.control->slot_count, 6u);  // 2 x 2 + 1 = 5 would be enough
  EXPECT_EQ(rig.sender->stats().generation, 1u);
  for (auto& receiver : receivers) ASSERT_NO_FATAL_FAILURE(expect_frame(receiver, f));
  receivers.push_back(rig.join());
  const std::uint64_t g = rig.write();
  EXPECT_EQ(rig.control->slot_count, 7u);
  for (auto& receiver : receivers) ASSERT_NO_FATAL_FAILURE(expect_frame(receiver, g));
}

TEST(Receivers, RingStopsGrowingAtSixteenSlots) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  std::vector<ReceiverCore> receivers;
  for (int n = 1; n <= 9; ++n) receivers.push_back(rig.join());
  (void)rig.write();
  EXPECT_EQ(rig.control->slot_count, 16u);
  EXPECT_EQ(rig.sender->stats().receivers, 9u);
  // None of them reads; the sender still writes.
  for (int i = 0; i < 40; ++i) ASSERT_NE(rig.write(), 0u);
  for (auto& receiver : receivers) {
    auto lease = receiver.acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_TRUE(holds_pattern(*lease));
  }
}

// `n` receivers: receiver k stops reading after round k, each pinning two slots of its own;
// the last never stops. The sender never waits, the last one gets every frame, and those
// that stopped get a whole frame when they come back, then the newest.
class StalledReceivers : public ::testing::TestWithParam<int> {};

TEST_P(StalledReceivers, NeverStallTheSenderOrTheOthers) {
  const int n = GetParam();
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  std::vector<ReceiverCore> receivers;
  for (int i = 0; i < n; ++i) receivers.push_back(rig.join());
  const std::uint64_t generation_before = rig.sender->stats().generation;
  for (int round = 0; round < n + 3; ++round) {
    for (int frame = 0; frame < 3; ++frame) {
      const std::uint64_t f = rig.write();
      ASSERT_NE(f, 0u) << "round " << round;
      for (int k = std::min(round, n - 1); k < n; ++k) {
        ASSERT_NO_FATAL_FAILURE(expect_frame(receivers[k], f)) << "receiver " << k;
      }
    }
  }
  EXPECT_EQ(rig.control->slot_count, static_cast<std::size_t>(2 * n + 1));
  if (n > 1) {
    EXPECT_GT(rig.sender->stats().generation, generation_before);
  }

  // Back from the stall: a whole frame at once, then the newest.
  for (int k = 0; k + 1 < n; ++k) {
    auto lease = receivers[k].acquire(kWait);
    ASSERT_TRUE(lease) << "receiver " << k << ": " << lease.error().to_string();
    EXPECT_TRUE(holds_pattern(*lease));
  }
  const std::uint64_t newest = rig.write();
  for (int k = 0; k < n; ++k) {
    ASSERT_NO_FATAL_FAILURE(expect_frame(receivers[k], newest)) << "receiver " << k;
  }
  for (int k = 0; k < n; ++k) {
    EXPECT_GT(receivers[k].stats().frames_skipped + receivers[k].stats().frames_acquired, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Receivers, StalledReceivers, ::testing::Range(1, 8));

}  // namespace
}  // namespace geyser::channel::test
