// Backend failures, injected: each comes back as an error with the backend's code, nothing
// crashes or leaks, and once the backend works again so does the channel.
#include <optional>

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
};

// Writes a frame and checks that `receiver` gets exactly it.
void round_trip(SenderCore& sender, ReceiverCore& receiver) {
  auto written = write_frame(sender);
  ASSERT_TRUE(written) << "write: " << written.error().to_string();
  auto lease = receiver.acquire(kWait);
  ASSERT_TRUE(lease) << "frame " << *written << ": " << lease.error().to_string();
  EXPECT_EQ(lease->frame, *written);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Failures, CreateSlotsAtPublishPublishesNothing) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->create_slots.arm(ErrorCode::OutOfMemory);
  auto sender = publish_fake(transport, control);
  ASSERT_FALSE(sender);
  EXPECT_EQ(sender.error().code(), ErrorCode::OutOfMemory);
  EXPECT_TRUE(transport->list()->empty());
  auto again = publish_fake(transport, control);
  ASSERT_TRUE(again) << again.error().to_string();
}

TEST(Failures, CreateSlotsWhileTheRingGrowsFailsThatWriteOnly) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto r1 = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(r1);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *r1));
  rig.control->create_slots.arm(ErrorCode::OutOfMemory);
  auto r2 = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(r2);
  auto failed = write_frame(*rig.sender);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::OutOfMemory);
  EXPECT_TRUE(holds_pattern(*r1->held()));
  auto written = write_frame(*rig.sender);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(rig.control->slot_count, 5u);
  for (ReceiverCore* receiver : {&*r1, &*r2}) {
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    EXPECT_TRUE(holds_pattern(*lease));
  }
}

TEST(Failures, CreateSlotsOnResizeKeepsTheOldRingWorking) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  const std::uint64_t generation = rig.sender->stats().generation;
  rig.control->create_slots.arm(ErrorCode::OutOfMemory);
  auto resized = rig.sender->resize(small_desc(16, 16));
  ASSERT_FALSE(resized);
  EXPECT_EQ(resized.error().code(), ErrorCode::OutOfMemory);
  EXPECT_EQ(rig.sender->descriptor(), small_desc());
  EXPECT_EQ(rig.sender->stats().generation, generation);
  // "On failure the old ring stays": the frame the receiver holds in it is never written
  // over, and the receiver goes on getting frames.
  ASSERT_NE(receiver->held(), nullptr);
  for (std::size_t i = 0; i < rig.control->slot_count; ++i) {
    ASSERT_TRUE(write_frame(*rig.sender));
    EXPECT_TRUE(holds_pattern(*receiver->held()))
        << "the held frame was written over by write " << i + 1 << " after the failed resize";
  }
  std::uint64_t last = receiver->held()->frame;
  for (int i = 0; i < 4; ++i) {
    auto written = write_frame(*rig.sender);
    ASSERT_TRUE(written) << written.error().to_string();
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << "frame " << *written
                       << " after the failed resize: " << lease.error().to_string();
    // The first acquire takes the frame given while it held one (a receiver is given at
    // most one beyond the one it holds); from then on it keeps up.
    EXPECT_GT(lease->frame, last);
    if (i > 0) {
      EXPECT_EQ(lease->frame, *written);
    }
    EXPECT_TRUE(holds_pattern(*lease));
    last = lease->frame;
  }
  ASSERT_TRUE(rig.sender->resize(small_desc(16, 16)));
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
}

struct LinkFailure {
  const char* name;
  FailurePlan FakeSenderControl::*plan;
  int after;  // links made successfully first
};

class LinkFailureAtConnect : public ::testing::TestWithParam<LinkFailure> {};

TEST_P(LinkFailureAtConnect, RefusesThatReceiverOnly) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  (rig.control.get()->*GetParam().plan).arm(ErrorCode::OutOfMemory, 1, GetParam().after);
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto refused = connect_fake(*rig.sender, rig.transport, receiver_control);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::OutOfMemory) << refused.error().to_string();
  EXPECT_EQ(receiver_control->live_imports, 0);
  ASSERT_TRUE(rig.sender->poll());
  EXPECT_EQ(rig.control->live_links, 0);
  EXPECT_EQ(rig.sender->stats().dropped_connections, 1u);
  EXPECT_TRUE(write_frame(*rig.sender));
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
}

INSTANTIATE_TEST_SUITE_P(
    Links, LinkFailureAtConnect,
    ::testing::Values(LinkFailure{"FirstLink", &FakeSenderControl::create_link, 0},
                      LinkFailure{"LastLink", &FakeSenderControl::create_link, 2},
                      LinkFailure{"FirstExport", &FakeSenderControl::export_handles, 0},
                      LinkFailure{"SecondExport", &FakeSenderControl::export_handles, 1}),
    [](const ::testing::TestParamInfo<LinkFailure>& test) { return std::string(test.param.name); });

TEST(Failures, CreateLinkDuringAGenerationChangeDropsThatReceiverWhichReconnects) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto r1 = connect_fake(*rig.sender, rig.transport);
  auto r2 = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(r1 && r2);
  ASSERT_TRUE(write_frame(*rig.sender));
  rig.control->create_link.arm(ErrorCode::Internal);
  ASSERT_TRUE(rig.sender->resize(small_desc(4, 4)));
  EXPECT_EQ(rig.sender->stats().receivers, 1u);
  auto written = write_frame(*rig.sender);
  ASSERT_TRUE(written);
  int reconnected = 0;
  for (ReceiverCore* receiver : {&*r1, &*r2}) {
    // The dropped one may first get the frame given to it before (whole), then
    // Disconnected.
    auto lease = receiver->acquire(kWait);
    if (lease) {
      EXPECT_TRUE(holds_pattern(*lease));
    }
    if (receiver->state() == ReceiverState::Disconnected) {
      ++reconnected;
      lease = acquire_reconnecting(*receiver, *rig.sender, *rig.transport);
    }
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_TRUE(holds_pattern(*lease));
    EXPECT_EQ(receiver->descriptor(), small_desc(4, 4));
  }
  EXPECT_EQ(reconnected, 1);
  EXPECT_EQ(rig.sender->stats().receivers, 2u);
  for (int i = 0; i < 3; ++i) {
    auto next = write_frame(*rig.sender);
    ASSERT_TRUE(next);
    for (ReceiverCore* receiver : {&*r1, &*r2}) {
      auto lease = receiver->acquire(kWait);
      ASSERT_TRUE(lease) << lease.error().to_string();
      EXPECT_EQ(lease->frame, *next);
      EXPECT_TRUE(holds_pattern(*lease));
    }
  }
}

TEST(Failures, PresentFailingInWriteLeavesTheSenderUsable) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  rig.control->present.arm(ErrorCode::Timeout);
  auto failed = write_frame(*rig.sender);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::Timeout);
  // The backend works again: so must write().
  auto written = write_frame(*rig.sender);
  ASSERT_TRUE(written) << "write after a failed present: " << written.error().to_string();
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, *written);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Failures, PresentFailingThenCancelGivesTheSlotBack) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver);
  auto lease = rig.sender->acquire(kWait);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(
      rig.sender->backend().write(lease->slot, pattern(rig.sender->descriptor(), lease->frame)));
  rig.control->present.arm(ErrorCode::DeviceLost);
  auto presented = rig.sender->present(*lease);
  ASSERT_FALSE(presented);
  EXPECT_EQ(presented.error().code(), ErrorCode::DeviceLost);
  rig.sender->cancel(*lease);
  auto none = receiver->acquire(0ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::Timeout);
  auto written = write_frame(*rig.sender);
  ASSERT_TRUE(written) << written.error().to_string();
  // The frame number was used up: the backend may have signalled it before failing.
  EXPECT_EQ(*written, lease->frame + 1);
  auto frame = receiver->acquire(kWait);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->frame, *written);
  EXPECT_TRUE(holds_pattern(*frame));
}

TEST(Failures, WriteFailingGivesTheSlotBack) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver);
  rig.control->write.arm(ErrorCode::DeviceLost, 2);
  for (int i = 0; i < 2; ++i) {
    auto failed = write_frame(*rig.sender);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code(), ErrorCode::DeviceLost);
  }
  EXPECT_EQ(rig.sender->stats().frames, 0u);
  auto written = write_frame(*rig.sender);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(*written, 1u);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, 1u);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Failures, ImportAtConnectRefusesThatReceiverOnly) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  receiver_control->import_slot.arm(ErrorCode::Unsupported, 1, 1);
  auto refused = connect_fake(*rig.sender, rig.transport, receiver_control);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Unsupported);
  EXPECT_EQ(receiver_control->live_imports, 0);
  ASSERT_TRUE(write_frame(*rig.sender));  // reads the receiver's Error and closes it
  EXPECT_EQ(rig.sender->stats().receivers, 0u);
  ASSERT_TRUE(rig.sender->poll());  // and frees its links
  EXPECT_EQ(rig.control->live_links, 0);
  auto receiver = connect_fake(*rig.sender, rig.transport);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
}

TEST(Failures, ImportAtAGenerationChangeDisconnectsThenTheReceiverReconnects) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*rig.sender, rig.transport, receiver_control);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  receiver_control->import_slot.arm(ErrorCode::OutOfMemory);
  ASSERT_TRUE(rig.sender->resize(small_desc(2, 2)));
  ASSERT_TRUE(write_frame(*rig.sender));
  auto failed = receiver->acquire(kWait);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::OutOfMemory);
  EXPECT_EQ(receiver->state(), ReceiverState::Disconnected);
  EXPECT_TRUE(holds_pattern(*receiver->held()));
  auto lease = acquire_reconnecting(*receiver, *rig.sender, *rig.transport);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_TRUE(holds_pattern(*lease));
  EXPECT_EQ(receiver->stats().reconnects, 1u);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
}

TEST(Failures, BeginReadFailingOnceDoesNotCostTheReceiverItsFrames) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*rig.sender, rig.transport, receiver_control);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  receiver_control->begin_read.arm(ErrorCode::Timeout);
  ASSERT_TRUE(write_frame(*rig.sender));
  auto failed = receiver->acquire(kWait);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::Timeout);
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE("round " + std::to_string(i) + " after the failed begin_read");
    ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  }
}

TEST(Failures, EndReadFailingOnceClosesTheConnectionAndTheReceiverReconnects) {
  // A release that cannot be ordered after the reads must not hand the slot back by a
  // FrameReleased: the receiver closes the connection (which frees the slot on the
  // sender's side) and its next acquire reconnects.
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*rig.sender, rig.transport, receiver_control);
  ASSERT_TRUE(receiver);
  ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  receiver_control->end_read.arm(ErrorCode::DeviceLost);
  auto failed = receiver->release();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::DeviceLost);
  EXPECT_EQ(receiver->state(), ReceiverState::Disconnected);
  auto reconnected = acquire_reconnecting(*receiver, *rig.sender, *rig.transport, kWait);
  ASSERT_TRUE(reconnected) << reconnected.error().to_string();
  EXPECT_TRUE(holds_pattern(*reconnected));
  EXPECT_EQ(receiver->stats().reconnects, 1u);
  EXPECT_EQ(rig.sender->stats().receivers, 1u) << "the old connection is gone";
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE("round " + std::to_string(i) + " after the failed end_read");
    ASSERT_NO_FATAL_FAILURE(round_trip(*rig.sender, *receiver));
  }
}

TEST(Failures, ABackendWithoutAnAllocationSizeCannotDescribeItsStream) {
  // The wire format requires VulkanImageInfo::allocation_size != 0 (docs/protocol.md), so a
  // backend must fill it in even when it has no Vulkan image. Receivers are refused with
  // Validation; the sender itself goes on.
  Rig rig;
  rig.control->zero_image_info = true;
  ASSERT_NO_FATAL_FAILURE(rig.publish());
  auto refused = connect_fake(*rig.sender, rig.transport);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Validation) << refused.error().to_string();
  EXPECT_EQ(rig.sender->stats().dropped_connections, 1u);
  EXPECT_TRUE(write_frame(*rig.sender));
  EXPECT_EQ(rig.control->live_links, 0);
}

}  // namespace
}  // namespace geyser::channel::test
