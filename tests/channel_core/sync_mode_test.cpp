// The sync-mode handshake, and `gpu` mode's rule that a slot is reused only once the
// receiver's release has executed on its device, not merely been announced.
#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

constexpr SyncCapabilities kNone{};
constexpr SyncCapabilities kTimelines{true, true};

// Sets GEYSER_SYNC (nullptr: unsets it) for one test.
class ScopedSyncEnv {
 public:
  explicit ScopedSyncEnv(const char* value) {
    if (const char* old = std::getenv("GEYSER_SYNC")) old_ = old;
    if (value) {
      ::setenv("GEYSER_SYNC", value, 1);
    } else {
      ::unsetenv("GEYSER_SYNC");
    }
  }
  ~ScopedSyncEnv() {
    if (old_) {
      ::setenv("GEYSER_SYNC", old_->c_str(), 1);
    } else {
      ::unsetenv("GEYSER_SYNC");
    }
  }
  ScopedSyncEnv(const ScopedSyncEnv&) = delete;
  ScopedSyncEnv& operator=(const ScopedSyncEnv&) = delete;

 private:
  std::optional<std::string> old_;
};

FakeReceiverBackend& device_of(ReceiverCore& receiver) {
  return static_cast<FakeReceiverBackend&>(receiver.backend());
}

struct Handshake {
  const char* name;
  const char* env;
  SyncCapabilities sender;
  SyncCapabilities receiver;
  SyncMode mode;
};

class SyncHandshake : public ::testing::TestWithParam<Handshake> {};

TEST_P(SyncHandshake, PicksTheModeBothSidesCanDo) {
  const Handshake& h = GetParam();
  ScopedSyncEnv env(h.env);
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->caps = h.sender;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  EXPECT_EQ(sender->stats().sync_mode,
            h.sender == kTimelines ? SyncMode::Gpu : SyncMode::Cpu);  // what it offers
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  receiver_control->caps = h.receiver;
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().sync_mode, h.mode);
  for (int i = 0; i < 6; ++i) {
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    EXPECT_TRUE(holds_pattern(*lease));
    device_of(*receiver).execute();  // the receiver's device gets on with its work
  }
  ASSERT_TRUE(sender->resize(small_desc(3, 3)));
  ASSERT_TRUE(write_frame(*sender));
  std::optional<FrameLease> kept;
  {
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease);
    EXPECT_TRUE(holds_pattern(*lease));
    kept = *lease;
    ReceiverCore closing = std::move(receiver).value();
  }
  EXPECT_EQ(receiver_control->live_imports, 1);  // the one our lease keeps
  EXPECT_TRUE(holds_pattern(*kept));
  kept.reset();
  EXPECT_EQ(receiver_control->live_imports, 0);
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
  EXPECT_EQ(control->violations, 0) << control->last_violation;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, SyncHandshake,
    ::testing::Values(Handshake{"NeitherCan", nullptr, kNone, kNone, SyncMode::Cpu},
                      Handshake{"OnlyTheSenderCan", nullptr, kTimelines, kNone, SyncMode::Cpu},
                      Handshake{"OnlyTheReceiverCan", nullptr, kNone, kTimelines, SyncMode::Cpu},
                      Handshake{"BothCan", nullptr, kTimelines, kTimelines, SyncMode::Gpu},
                      Handshake{"BothCanAuto", "auto", kTimelines, kTimelines, SyncMode::Gpu},
                      Handshake{"ForcedCpu", "cpu", kTimelines, kTimelines, SyncMode::Cpu},
                      Handshake{"ForcedGpu", "GPU", kTimelines, kTimelines, SyncMode::Gpu}),
    [](const ::testing::TestParamInfo<Handshake>& test) { return std::string(test.param.name); });

TEST(SyncMode, ForcedGpuThatOneSideCannotDoIsUnsupported) {
  ScopedSyncEnv env("gpu");
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->caps = kTimelines;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);  // a receiver without timelines
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Unsupported) << receiver.error().to_string();
  EXPECT_EQ(sender->stats().dropped_connections, 1u);
}

TEST(SyncMode, ANonsenseOverrideIsRefused) {
  ScopedSyncEnv env("fastest");
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Validation) << receiver.error().to_string();
}

// A sender and one receiver that both can do `gpu` mode, connected.
class GpuPair : public ::testing::Test {
 protected:
  void SetUp() override {
    control->caps = kTimelines;
    receiver_control->caps = kTimelines;
    auto published = publish_fake(transport, control);
    ASSERT_TRUE(published) << published.error().to_string();
    sender.emplace(std::move(published).value());
    auto connected = connect_fake(*sender, transport, receiver_control);
    ASSERT_TRUE(connected) << connected.error().to_string();
    receiver.emplace(std::move(connected).value());
    ASSERT_EQ(receiver->stats().sync_mode, SyncMode::Gpu);
  }

  ScopedSyncEnv env{nullptr};
  std::shared_ptr<TestTransport> transport = make_transport();
  std::shared_ptr<FakeSenderControl> control = std::make_shared<FakeSenderControl>();
  std::shared_ptr<FakeReceiverControl> receiver_control = std::make_shared<FakeReceiverControl>();
  std::optional<SenderCore> sender;
  std::optional<ReceiverCore> receiver;
};

TEST_F(GpuPair, GpuSlotIsReusedOnlyOnceTheReleaseHasExecuted) {
  ASSERT_EQ(control->slot_count, 3u);

  auto present_frame = [&]() -> std::optional<SlotLease> {
    auto lease = sender->acquire(0ms);
    if (!lease) return std::nullopt;
    EXPECT_TRUE(sender->backend().write(lease->slot, pattern(sender->descriptor(), lease->frame)));
    EXPECT_TRUE(sender->present(*lease));
    return *lease;
  };
  // Frame 1, acquired; frame 2, acquired, which releases frame 1: its release is device
  // work that has not run yet.
  const auto first = present_frame();
  ASSERT_TRUE(first);
  ASSERT_TRUE(receiver->acquire(kWait));
  const auto second = present_frame();
  ASSERT_TRUE(second);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, second->frame);
  EXPECT_GE(device_of(*receiver).pending_work(), 1u);
  // Frame 1's slot stays out of the ring until then; frame 2's is held.
  const auto third = present_frame();
  ASSERT_TRUE(third);
  EXPECT_NE(third->slot, first->slot);
  EXPECT_NE(third->slot, second->slot);
  auto before = sender->acquire(0ms);  // frame 3 was never claimed: its slot may be rewritten
  ASSERT_TRUE(before) << before.error().to_string();
  EXPECT_EQ(before->slot, third->slot);
  sender->cancel(*before);
  device_of(*receiver).execute();
  const auto fourth = present_frame();
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->slot, first->slot);
  auto next = receiver->acquire(kWait);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->frame, fourth->frame);
  EXPECT_TRUE(holds_pattern(*next));
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
}

TEST_F(GpuPair, AFrameReleasedUnreadIsRewrittenWithoutWaitingForTheDevice) {
  // A gpu receiver that did not read a frame on its device says so on its page: the sender
  // reuses the slot at once, although the receiver's device never runs anything.
  for (int i = 0; i < 12; ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    auto written = write_frame(*sender, 0ms);
    ASSERT_TRUE(written) << written.error().to_string();
    auto lease = receiver->acquire(kWait, ReadSubmission::Application, ReadSubmission::Unread);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    ASSERT_TRUE(receiver->release(ReadSubmission::Unread));
  }
  EXPECT_EQ(device_of(*receiver).pending_work(), 0u);
  // Released as read, the same frames hold their slots until the device runs the signals.
  std::size_t presented = 0;
  for (int i = 0; i < 6; ++i) {
    auto written = write_frame(*sender, 0ms);
    if (!written) break;
    ++presented;
    ASSERT_TRUE(receiver->acquire(kWait));
    ASSERT_TRUE(receiver->release());
  }
  EXPECT_LT(presented, 6u) << "a release the device has not run freed its slot";
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
}

TEST(SyncMode, AGpuReceiverThatJoinsLateNeverWaitsForAFrameFromBeforeIt) {
  // The board still shows frames presented before this receiver's links existed: their
  // readiness was never signalled on its timelines, so a device wait for one would hang
  // its queue (the fake device calls that a violation). The StreamDescription's first
  // frame tells the receiver to skip them and take the next one.
  ScopedSyncEnv env(nullptr);
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->caps = kTimelines;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(write_frame(*sender));
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  receiver_control->caps = kTimelines;
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver);
  ASSERT_EQ(receiver->stats().sync_mode, SyncMode::Gpu);
  auto early = receiver->acquire(kShort);
  ASSERT_FALSE(early) << "acquired frame " << early->frame << ", presented before it joined";
  EXPECT_EQ(early.error().code(), ErrorCode::Timeout);
  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, *written);
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
}

}  // namespace
}  // namespace geyser::channel::test
