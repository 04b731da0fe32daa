// native_event_handle(): readable exactly while there is something for poll(0) or
// acquire(0) to do, and quiet again once it is done.
#include <optional>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

TEST(EventHandle, SenderWakesForConnectionsAndReleases) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  const NativeHandle handle = sender->native_event_handle();
  EXPECT_GE(handle, 0);
  EXPECT_FALSE(readable(handle));

  // A peer waiting to be accepted, then its Hello.
  auto peer = transport->connect(kChannel, kShort);
  ASSERT_TRUE(peer);
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(send_message(**peer, fake_hello()));
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));
  peer->reset();  // its close is news too
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));

  std::optional<ReceiverCore> receiver;
  {
    auto connected = connect_fake(*sender, transport);
    ASSERT_TRUE(connected);
    receiver.emplace(std::move(connected).value());
  }
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  EXPECT_FALSE(readable(handle));  // nothing released yet
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));  // releases the first frame
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(receiver->release());
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(write_frame(*sender));  // acquire() reads it too
  EXPECT_FALSE(readable(handle));
  receiver.reset();
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));
  EXPECT_EQ(sender->native_event_handle(), handle);
}

TEST(EventHandle, ReceiverWakesForFramesGenerationsAndTheSendersClose) {
  auto transport = make_transport();
  std::optional<SenderCore> sender;
  {
    auto published = publish_fake(transport, std::make_shared<FakeSenderControl>());
    ASSERT_TRUE(published);
    sender.emplace(std::move(published).value());
  }
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
  const NativeHandle handle = receiver->native_event_handle();
  EXPECT_GE(handle, 0);
  EXPECT_FALSE(readable(handle));

  ASSERT_TRUE(write_frame(*sender));
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(receiver->acquire(0ms));
  EXPECT_FALSE(readable(handle));

  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_TRUE(readable(handle));
  auto newest = receiver->acquire(0ms);
  ASSERT_TRUE(newest);
  EXPECT_TRUE(holds_pattern(*newest));
  EXPECT_FALSE(readable(handle));

  ASSERT_TRUE(sender->resize(small_desc(2, 2)));
  EXPECT_TRUE(readable(handle));
  auto nothing = receiver->acquire(0ms);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), ErrorCode::Timeout);
  EXPECT_FALSE(readable(handle));
  EXPECT_EQ(receiver->descriptor(), small_desc(2, 2));

  sender.reset();
  EXPECT_TRUE(readable(handle));
  auto gone = receiver->acquire(0ms);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected);
  EXPECT_FALSE(readable(handle));
  (void)receiver->acquire(0ms);  // looks for a new sender: none
  EXPECT_FALSE(readable(handle));
  EXPECT_EQ(receiver->native_event_handle(), handle);
}

TEST(EventHandle, PollAnswersWhatIsWaiting) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  ASSERT_TRUE(sender->poll(1ms));  // nothing happens: waits it out
  auto peer = transport->connect(kChannel, kShort);
  ASSERT_TRUE(peer);
  ASSERT_TRUE(send_message(**peer, ipc::DescribeRequest{}));
  ASSERT_TRUE(sender->poll(1ms));
  const PeerSaw saw = drain(**peer);
  EXPECT_TRUE(saw.description.has_value());
  EXPECT_FALSE(readable(sender->native_event_handle()));
}

}  // namespace
}  // namespace geyser::channel::test
