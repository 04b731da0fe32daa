// One sender, one receiver: every frame arrives whole and in order, skips are counted, a
// held frame outlives its sender, and the receiver follows a restarted sender.
#include <optional>
#include <string>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

struct Shape {
  std::uint32_t width;
  std::uint32_t height;
  TextureFormat format;
};

std::string shape_name(const ::testing::TestParamInfo<Shape>& info) {
  return std::to_string(info.param.width) + "x" + std::to_string(info.param.height) +
         std::string(to_string(info.param.format));
}

class FramesInOrder : public ::testing::TestWithParam<Shape> {};

TEST_P(FramesInOrder, EveryFrameArrivesWholeAndInOrder) {
  const TextureDescriptor desc = small_desc(GetParam().width, GetParam().height, GetParam().format);
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>(), desc);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->state(), ReceiverState::Connected);
  EXPECT_EQ(receiver->descriptor(), desc);
  EXPECT_EQ(receiver->stats().sync_mode, SyncMode::Cpu);

  std::uint64_t last_timestamp = 0;
  for (std::uint64_t f = 1; f <= 24; ++f) {
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    ASSERT_EQ(*written, f);
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << "frame " << f << ": " << lease.error().to_string();
    EXPECT_EQ(lease->frame, f);
    EXPECT_EQ(lease->connection, 1u);
    EXPECT_EQ(lease->generation, sender->stats().generation);
    EXPECT_TRUE(holds_pattern(*lease));
    EXPECT_GE(lease->timestamp_ns, last_timestamp);
    last_timestamp = lease->timestamp_ns;
    ASSERT_NE(receiver->held(), nullptr);
    EXPECT_EQ(receiver->held()->frame, f);
  }
  EXPECT_EQ(receiver->stats().frames_acquired, 24u);
  EXPECT_EQ(receiver->stats().frames_skipped, 0u);
  EXPECT_EQ(sender->stats().frames, 24u);
  EXPECT_EQ(sender->stats().receivers, 1u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FramesInOrder,
                         ::testing::Values(Shape{8, 4, TextureFormat::Rgba8Unorm},
                                           Shape{1, 1, TextureFormat::Rgba8Unorm},
                                           Shape{17, 3, TextureFormat::Bgra8Srgb},
                                           Shape{64, 64, TextureFormat::R8Unorm},
                                           Shape{5, 7, TextureFormat::Rg16Float},
                                           Shape{3, 9, TextureFormat::Rgba16Unorm},
                                           Shape{6, 2, TextureFormat::Rgba32Float},
                                           Shape{33, 1, TextureFormat::Rgb10a2Unorm}),
                         shape_name);

TEST(Frames, SkippedFramesAreCountedAndFramesOnlyMoveForward) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);

  ASSERT_TRUE(write_frame(*sender));
  auto first = receiver->acquire(kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->frame, 1u);
  ASSERT_TRUE(receiver->release());
  EXPECT_EQ(receiver->held(), nullptr);

  // Three frames while the receiver looks away: it gets a newer one, never an older one.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(write_frame(*sender));
  std::uint64_t last = first->frame;
  for (;;) {
    auto lease = receiver->acquire(0ms);
    if (!lease) {
      EXPECT_EQ(lease.error().code(), ErrorCode::Timeout) << lease.error().to_string();
      break;
    }
    EXPECT_GT(lease->frame, last);
    EXPECT_LE(lease->frame, 4u);
    EXPECT_TRUE(holds_pattern(*lease));
    last = lease->frame;
  }
  EXPECT_GT(last, 1u);

  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  auto fresh = receiver->acquire(kWait);
  ASSERT_TRUE(fresh) << fresh.error().to_string();
  EXPECT_EQ(fresh->frame, *written);
  EXPECT_TRUE(holds_pattern(*fresh));
  // Every frame presented while connected was either acquired or counted as skipped.
  const ReceiverStats stats = receiver->stats();
  EXPECT_EQ(stats.frames_acquired + stats.frames_skipped, *written);
  EXPECT_GE(stats.frames_skipped, 1u);
}

TEST(Frames, TheCorePassesOnWhoSubmitsAFramesWaitAndRelease) {
  // ReadSubmission::Application: the application's own submissions carry the wait and the
  // release signal, so the backend must be told not to submit them; an implicit release
  // (by the next acquire) is the backend's.
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*sender, transport, control);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  for (std::uint64_t f = 1; f <= 3; ++f) {
    ASSERT_TRUE(write_frame(*sender));
    auto lease = receiver->acquire(kWait, ReadSubmission::Application);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, f);
    EXPECT_TRUE(holds_pattern(*lease));
    EXPECT_EQ(control->last_begin, ReadSubmission::Application);
    ASSERT_TRUE(receiver->release(ReadSubmission::Application));
    EXPECT_EQ(control->last_end, ReadSubmission::Application);
  }
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait, ReadSubmission::Application));
  ASSERT_TRUE(write_frame(*sender));
  auto next = receiver->acquire(kWait);  // releases the held frame itself
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(control->last_end, ReadSubmission::Backend);
  EXPECT_EQ(control->last_begin, ReadSubmission::Backend);
  EXPECT_EQ(control->violations.load(), 0) << control->last_violation;
}

TEST(Frames, AReaderSlowerThanTheSenderGetsTheNewestFrame) {
  // What ReceiverCore::acquire documents: every frame is announced on the sender's board,
  // so a receiver that reads slower than the sender presents gets, at each acquire, the
  // newest frame, whole and checked, never a stale or torn one.
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  std::uint64_t previous = 0;
  for (int round = 0; round < 4; ++round) {
    std::uint64_t last = 0;
    for (int i = 0; i < 3; ++i) {
      auto written = write_frame(*sender);
      ASSERT_TRUE(written);
      last = *written;
    }
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_TRUE(holds_pattern(*lease));
    EXPECT_GT(lease->frame, previous) << "round " << round;
    EXPECT_EQ(lease->frame, last) << "round " << round;
    previous = lease->frame;
  }
}

TEST(Frames, AcquireTimesOutWithoutANewFrameAndKeepsTheHeldOne) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  auto none = receiver->acquire(1ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::Timeout);
  EXPECT_EQ(receiver->held(), nullptr);

  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  auto again = receiver->acquire(1ms);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::Timeout);
  ASSERT_NE(receiver->held(), nullptr);
  EXPECT_EQ(receiver->held()->frame, 1u);
  EXPECT_TRUE(holds_pattern(*receiver->held()));
  // Releasing twice, or with nothing held, is no error.
  EXPECT_TRUE(receiver->release());
  EXPECT_TRUE(receiver->release());
}

TEST(Frames, HeldFrameOutlivesTheSenderAndTheReceiverFollowsARestart) {
  auto transport = make_transport();
  auto first_control = std::make_shared<FakeSenderControl>();
  std::optional<SenderCore> sender;
  {
    auto published = publish_fake(transport, first_control);
    ASSERT_TRUE(published);
    sender.emplace(std::move(published).value());
  }
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  for (std::uint64_t f = 1; f <= 5; ++f) {
    ASSERT_TRUE(write_frame(*sender));
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease);
    ASSERT_EQ(lease->frame, f);
  }
  ASSERT_TRUE(write_frame(*sender));  // frame 6: presented, not yet acquired
  sender.reset();
  EXPECT_EQ(first_control->live_links, 0);

  // The frame held when the sender went away is still there, whole.
  ASSERT_NE(receiver->held(), nullptr);
  EXPECT_EQ(receiver->held()->frame, 5u);
  EXPECT_TRUE(holds_pattern(*receiver->held()));
  // The frame presented right before it left comes next, then Disconnected.
  auto last_words = receiver->acquire(kWait);
  ASSERT_TRUE(last_words) << last_words.error().to_string();
  EXPECT_EQ(last_words->frame, 6u);
  EXPECT_TRUE(holds_pattern(*last_words));
  auto gone = receiver->acquire(kWait);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected);
  EXPECT_EQ(receiver->state(), ReceiverState::Disconnected);
  ASSERT_NE(receiver->held(), nullptr);
  EXPECT_TRUE(holds_pattern(*receiver->held()));
  // Still nobody there: Disconnected again, at once.
  auto still_gone = receiver->acquire(kWait);
  ASSERT_FALSE(still_gone);
  EXPECT_EQ(still_gone.error().code(), ErrorCode::Disconnected);

  // A new sender under the same name, with other slots: the receiver reconnects.
  const TextureDescriptor bigger = small_desc(16, 8, TextureFormat::Rgba16Float);
  auto second_control = std::make_shared<FakeSenderControl>();
  {
    auto published = publish_fake(transport, second_control, bigger);
    ASSERT_TRUE(published) << published.error().to_string();
    sender.emplace(std::move(published).value());
  }
  auto lease = acquire_reconnecting(*receiver, *sender, *transport);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, 1u);
  EXPECT_EQ(lease->connection, 2u);
  EXPECT_TRUE(holds_pattern(*lease));
  EXPECT_EQ(receiver->stats().reconnects, 1u);
  EXPECT_EQ(receiver->state(), ReceiverState::Connected);
  EXPECT_EQ(receiver->descriptor(), bigger);
  for (std::uint64_t f = 2; f <= 6; ++f) {
    ASSERT_TRUE(write_frame(*sender));
    auto next = receiver->acquire(kWait);
    ASSERT_TRUE(next) << next.error().to_string();
    EXPECT_EQ(next->frame, f);
    EXPECT_EQ(next->connection, 2u);
    EXPECT_TRUE(holds_pattern(*next));
  }
  EXPECT_EQ(sender->stats().receivers, 1u);
}

TEST(Frames, SenderGoneWithNothingPendingIsDisconnectedAtOnce) {
  auto transport = make_transport();
  std::optional<SenderCore> sender;
  {
    auto published = publish_fake(transport, std::make_shared<FakeSenderControl>());
    ASSERT_TRUE(published);
    sender.emplace(std::move(published).value());
  }
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  sender.reset();
  EXPECT_TRUE(readable(receiver->native_event_handle()));
  auto gone = receiver->acquire(kWait);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected);
  EXPECT_EQ(receiver->held(), nullptr);
  EXPECT_EQ(receiver->stats().reconnects, 0u);
}

TEST(Frames, ConnectingToANameNobodyPublishesIsDisconnected) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_unserved(transport, control, 5ms);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Disconnected);
  EXPECT_EQ(control->live_imports, 0);
}

TEST(Frames, ANameHeldByALiveSenderCannotBePublishedTwice) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto second_control = std::make_shared<FakeSenderControl>();
  auto second = publish_fake(transport, second_control);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Validation);
  EXPECT_EQ(second_control->live_links, 0);
  // The first one goes on.
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(write_frame(*sender));
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Frames, PublishRejectsBadArguments) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  SenderOptions options = sender_options(transport);
  EXPECT_EQ(publish_fake(options, control, small_desc(), "").error().code(), ErrorCode::Validation);
  EXPECT_EQ(publish_fake(options, control, small_desc(), "a/b").error().code(),
            ErrorCode::Validation);
  EXPECT_EQ(publish_fake(options, control, small_desc(0, 4)).error().code(), ErrorCode::Validation);
  options.slots = 1;
  EXPECT_EQ(publish_fake(options, control).error().code(), ErrorCode::Validation);
  options.slots = 17;
  EXPECT_EQ(publish_fake(options, control).error().code(), ErrorCode::Validation);
  options.slots = 3;
  auto no_backend = SenderCore::publish(nullptr, kChannel, small_desc(), options);
  ASSERT_FALSE(no_backend);
  EXPECT_EQ(no_backend.error().code(), ErrorCode::Validation);
  auto no_receiver_backend =
      ReceiverCore::connect(nullptr, kChannel, 0ms, receiver_options(transport));
  ASSERT_FALSE(no_receiver_backend);
  EXPECT_EQ(no_receiver_backend.error().code(), ErrorCode::Validation);
  // Nothing was published by the failed attempts.
  EXPECT_TRUE(transport->list()->empty());
  EXPECT_TRUE(publish_fake(options, control));
}

TEST(Frames, LeasesAreCheckedAndCancelGivesTheSlotBack) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto lease = sender->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, 1u);
  // One slot at a time.
  auto second = sender->acquire(kWait);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Validation);
  sender->cancel(*lease);
  // The frame number is not used up by a cancelled lease.
  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, 1u);
  // A lease presented twice, or one never acquired, is refused.
  auto fresh = sender->acquire(kWait);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(sender->present(*fresh));
  auto twice = sender->present(*fresh);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), ErrorCode::Validation);
  auto bogus = sender->present(SlotLease{99, 0, sender->stats().generation});
  ASSERT_FALSE(bogus);
  EXPECT_EQ(bogus.error().code(), ErrorCode::Validation);
  // A write of the wrong size fails in the backend and the slot is given back.
  const std::vector<std::uint8_t> wrong(3);
  auto bad_write = sender->write(wrong, kShort);
  ASSERT_FALSE(bad_write);
  EXPECT_EQ(bad_write.error().code(), ErrorCode::Validation);
  auto after = write_frame(*sender);
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_EQ(*after, 3u);
  EXPECT_EQ(sender->stats().frames, 3u);
}

}  // namespace
}  // namespace geyser::channel::test

namespace geyser::channel::test {
namespace {

TEST(Frames, AReceiverFollowingASenderThatNeverPausesSeesEachRecordOnce) {
  // Seen on the H200 with 8 receivers: a receiver that noted the board's sequence number
  // before reading the newest record, while the sender published again in between, read
  // the same record twice and called it a frame that did not rise. The sender runs in its
  // own thread here, publishing as fast as it can.
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) (void)write_frame(*sender, std::chrono::milliseconds(0));
  });
  std::uint64_t last = 0;
  int acquired = 0;
  for (int i = 0; i < 3000 && !HasFailure(); ++i) {
    auto lease = receiver->acquire(kWait);
    if (!lease && lease.error().code() == ErrorCode::Timeout) continue;
    ASSERT_TRUE(lease) << "after frame " << last << ": " << lease.error().to_string();
    EXPECT_GT(lease->frame, last);
    last = lease->frame;
    ++acquired;
  }
  stop = true;
  writer.join();
  EXPECT_GT(acquired, 100);
}

// The board's mail word (docs/protocol.md): while the sender sends nothing, acquire reads
// its socket at most once per 10 ms board wait slice, not once per frame; a new
// generation's description, sent on the socket, is still read before its first frame, and
// a sender gone is still heard.
TEST(Frames, AStreamingReceiverReadsItsSocketForMailAndOncePerWaitSlice) {
  auto transport = make_transport();
  auto published = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(published) << published.error().to_string();
  std::optional<SenderCore> sender(std::move(*published));
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  const std::uint64_t reads = receiver->stats().socket_reads;
  EXPECT_GE(reads, 1u);  // the first look after connecting reads it
  constexpr int kFrames = 200;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFrames; ++i) {
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
  }
  const auto slices = (std::chrono::steady_clock::now() - start) / 10ms;
  const std::uint64_t read_while_streaming = receiver->stats().socket_reads - reads;
  EXPECT_LE(read_while_streaming, static_cast<std::uint64_t>(slices) + 1);
  EXPECT_LT(read_while_streaming, static_cast<std::uint64_t>(kFrames));

  const TextureDescriptor bigger = small_desc(16, 8, TextureFormat::Rgba16Float);
  ASSERT_TRUE(sender->resize(bigger));
  auto next = write_frame(*sender);
  ASSERT_TRUE(next);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, *next);
  EXPECT_EQ(lease->generation, sender->stats().generation);
  EXPECT_EQ(receiver->descriptor(), bigger);
  EXPECT_TRUE(holds_pattern(*lease));
  EXPECT_GT(receiver->stats().socket_reads, reads);

  sender.reset();
  auto after = receiver->acquire(kWait);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::Disconnected) << after.error().to_string();
}

}  // namespace
}  // namespace geyser::channel::test
