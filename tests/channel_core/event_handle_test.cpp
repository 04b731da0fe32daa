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
  // Releases are words on the receiver's page, no message: nothing to wake the sender for
  // (its acquire looks at the pages).
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(receiver->acquire(kWait));  // releases the first frame
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(receiver->release());
  EXPECT_FALSE(readable(handle));
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_FALSE(readable(handle));
  receiver.reset();  // its Goodbye and close are news
  EXPECT_TRUE(readable(handle));
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(readable(handle));
  EXPECT_EQ(sender->native_event_handle(), handle);
}

// After the frame a wake was for has been taken: at most one more acquire(0), a Timeout,
// then the handle is quiet.
void expect_quiet(ReceiverCore& receiver, NativeHandle handle) {
  if (readable(handle, 20)) {
    auto spurious = receiver.acquire(std::chrono::milliseconds(0));
    ASSERT_FALSE(spurious) << "a frame nobody presented";
    EXPECT_EQ(spurious.error().code(), ErrorCode::Timeout);
  }
  EXPECT_FALSE(readable(handle, 20));
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

  // Frames wake the board's futex; a thread of the receiver turns that into the handle's
  // readiness, a moment later. A wake may outlive the frame it was for by one
  // acquire(0), which then says Timeout: what an event loop sees as a spurious wake.
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_TRUE(readable(handle, 1000));
  ASSERT_TRUE(receiver->acquire(0ms));
  ASSERT_NO_FATAL_FAILURE(expect_quiet(*receiver, handle));

  ASSERT_TRUE(write_frame(*sender));
  ASSERT_TRUE(write_frame(*sender));
  EXPECT_TRUE(readable(handle, 1000));
  auto newest = receiver->acquire(0ms);
  ASSERT_TRUE(newest);
  EXPECT_TRUE(holds_pattern(*newest));
  ASSERT_NO_FATAL_FAILURE(expect_quiet(*receiver, handle));

  ASSERT_TRUE(sender->resize(small_desc(2, 2)));
  EXPECT_TRUE(readable(handle, 1000));
  auto nothing = receiver->acquire(0ms);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), ErrorCode::Timeout);
  ASSERT_NO_FATAL_FAILURE(expect_quiet(*receiver, handle));
  EXPECT_EQ(receiver->descriptor(), small_desc(2, 2));

  sender.reset();
  EXPECT_TRUE(readable(handle, 1000));
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
