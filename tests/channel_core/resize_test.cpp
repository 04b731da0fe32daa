// resize(): a new generation of slots, which every receiver imports; frames of the old one
// stay readable while held, and their late releases are ignored.
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

TEST(Resize, StartsAGenerationThatEveryReceiverImports) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto c1 = std::make_shared<FakeReceiverControl>();
  auto r1 = connect_fake(*sender, transport, c1);
  auto r2 = connect_fake(*sender, transport);
  ASSERT_TRUE(r1 && r2);
  auto f = write_frame(*sender);
  ASSERT_TRUE(f);
  auto held1 = r1->acquire(kWait);
  auto held2 = r2->acquire(kWait);
  ASSERT_TRUE(held1 && held2);
  const std::uint64_t generation = sender->stats().generation;
  const std::uint64_t imports = r1->stats().imports;
  const std::size_t slots = control->slot_count;

  const TextureDescriptor bigger = small_desc(16, 8, TextureFormat::Rgba16Float);
  ASSERT_TRUE(sender->resize(bigger));
  EXPECT_EQ(sender->descriptor(), bigger);
  EXPECT_EQ(sender->stats().generation, generation + 1);
  EXPECT_EQ(control->descriptor, bigger);
  EXPECT_EQ(control->slot_count, slots);
  // Frames of the old generation stay whole while held.
  EXPECT_TRUE(holds_pattern(*held1));
  EXPECT_TRUE(holds_pattern(*held2));

  auto next = write_frame(*sender);
  ASSERT_TRUE(next);
  for (ReceiverCore* receiver : {&*r1, &*r2}) {
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *next);
    EXPECT_EQ(lease->generation, generation + 1);
    EXPECT_TRUE(holds_pattern(*lease));
    EXPECT_EQ(slot_descriptor(*lease->slot_import), bigger);
    EXPECT_EQ(receiver->descriptor(), bigger);
    EXPECT_EQ(receiver->stats().imports, imports + slots);
  }
  EXPECT_TRUE(holds_pattern(*held1));  // our copy of the old lease keeps its slot alive
  EXPECT_EQ(sender->stats().dropped_connections, 0u);
  EXPECT_EQ(c1->violations, 0) << c1->last_violation;
}

TEST(Resize, ALateReleaseOfTheOldGenerationIsIgnored) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  ASSERT_TRUE(sender->resize(small_desc(4, 4)));
  // The receiver has not seen the new generation yet: it releases into the old one.
  ASSERT_TRUE(receiver->release());
  auto next = write_frame(*sender);
  ASSERT_TRUE(next);
  EXPECT_EQ(sender->stats().dropped_connections, 0u);
  EXPECT_EQ(sender->stats().receivers, 1u);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, *next);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Resize, RefusedWhileASlotIsAcquiredOrForABadDescriptor) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  const std::uint64_t generation = sender->stats().generation;
  auto lease = sender->acquire(kWait);
  ASSERT_TRUE(lease);
  auto busy = sender->resize(small_desc(4, 4));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), ErrorCode::Validation);
  ASSERT_TRUE(sender->backend().write(lease->slot, pattern(sender->descriptor(), lease->frame)));
  ASSERT_TRUE(sender->present(*lease));
  auto bad = sender->resize(small_desc(0, 4));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::Validation);
  EXPECT_EQ(sender->stats().generation, generation);
  EXPECT_EQ(sender->descriptor(), small_desc());
  // Nothing changed for the receiver.
  auto frame = receiver->acquire(kWait);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->frame, lease->frame);
  EXPECT_TRUE(holds_pattern(*frame));
}

TEST(Resize, ManyInARowLeaveTheReceiverOnTheLastOne) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(write_frame(*sender));
  auto old = receiver->acquire(kWait);
  ASSERT_TRUE(old);
  std::uint64_t last_generation = old->generation;
  for (std::uint32_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(write_frame(*sender));  // given, never acquired: superseded by the resize
    ASSERT_TRUE(sender->resize(small_desc(i, 2 * i, TextureFormat::Rg8Unorm)));
  }
  auto f = write_frame(*sender);
  ASSERT_TRUE(f);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, *f);
  EXPECT_GT(lease->generation, last_generation);
  EXPECT_EQ(lease->generation, sender->stats().generation);
  EXPECT_EQ(receiver->descriptor(), small_desc(5, 10, TextureFormat::Rg8Unorm));
  EXPECT_TRUE(holds_pattern(*lease));
  // Imports of superseded generations are let go once nothing holds them (ours: `old`).
  EXPECT_LE(receiver_control->live_imports, static_cast<int>(control->slot_count) + 1);
  EXPECT_TRUE(holds_pattern(*old));
}

TEST(Resize, AFrameQueuedBehindANewGenerationIsAcquiredWithAZeroTimeout) {
  // What an event loop does: the receiver's handle is readable, so it calls acquire(0).
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(sender->resize(small_desc(4, 4)));
  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  ASSERT_TRUE(readable(receiver->native_event_handle()));
  auto lease = receiver->acquire(0ms);
  ASSERT_TRUE(lease) << "frame " << *written << " was there: " << lease.error().to_string();
  EXPECT_EQ(lease->frame, *written);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Resize, AReceiverThatLeftJustBeforeIsNotCountedAsDropped) {
  // dropped_connections counts "receivers dropped for protocol errors or refused"; one
  // that said Goodbye is neither, even when the sender only notices at the resize.
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto staying = connect_fake(*sender, transport);
  ASSERT_TRUE(staying);
  {
    auto leaving = connect_fake(*sender, transport);
    ASSERT_TRUE(leaving);
  }
  ASSERT_TRUE(sender->resize(small_desc(4, 4)));
  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  EXPECT_EQ(sender->stats().receivers, 1u);
  EXPECT_EQ(sender->stats().dropped_connections, 0u);
  auto lease = staying->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, *written);
}

TEST(Resize, ToTheSameDescriptorIsStillANewGeneration) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  const std::uint64_t generation = sender->stats().generation;
  const std::uint64_t imports = receiver->stats().imports;
  ASSERT_TRUE(sender->resize(sender->descriptor()));
  auto f = write_frame(*sender);
  ASSERT_TRUE(f);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->generation, generation + 1);
  EXPECT_GT(receiver->stats().imports, imports);
  EXPECT_TRUE(holds_pattern(*lease));
}

}  // namespace
}  // namespace geyser::channel::test
