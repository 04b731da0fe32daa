// A sender's bounds against peers that connect and say nothing, crowd it with receivers,
// flood it with messages or connect and leave in a loop: each is bounded, and a real
// receiver on the same channel still gets whole frames.
#include <unistd.h>

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ipc::Connection> raw_connect(TestTransport& transport) {
  auto connected = transport.connect(kChannel, kShort);
  EXPECT_TRUE(connected) << connected.error().to_string();
  return connected ? std::move(connected).value() : nullptr;
}

void post(ipc::Connection& peer, const ipc::Message& message) {
  auto sent = send_message(peer, message);
  ASSERT_TRUE(sent) << sent.error().to_string();
}

// A real receiver gets the next frame whole.
void expect_frames_flow(SenderCore& sender, ReceiverCore& receiver) {
  auto written = write_frame(sender);
  ASSERT_TRUE(written) << written.error().to_string();
  auto lease = receiver.acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, *written);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(SenderLimits, ConnectionsNotYetIdentifiedAreBounded) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  SenderOptions options = sender_options(transport);
  options.max_pending_connections = 4;
  options.hello_timeout = 100ms;
  auto sender = publish_fake(options, control);
  ASSERT_TRUE(sender) << sender.error().to_string();
  std::vector<std::unique_ptr<ipc::Connection>> silent;
  for (int i = 0; i < 10; ++i) silent.push_back(raw_connect(*transport));
  ASSERT_TRUE(sender->poll());
  EXPECT_EQ(sender->stats().dropped_connections, 6u) << "10 silent peers, 4 admitted";
  int closed = 0;
  for (auto& peer : silent) closed += drain(*peer).closed ? 1 : 0;
  EXPECT_EQ(closed, 6);
  // Once their Hello is overdue they go, and a real receiver gets in.
  std::this_thread::sleep_for(options.hello_timeout + 20ms);
  ASSERT_TRUE(sender->poll());
  EXPECT_EQ(sender->stats().dropped_connections, 10u);
  for (auto& peer : silent) EXPECT_TRUE(drain(*peer).closed);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *receiver));
}

TEST(SenderLimits, APeerThatSaysNothingIsDroppedAfterTheHelloTimeout) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  SenderOptions options = sender_options(transport);
  options.hello_timeout = 50ms;
  auto sender = publish_fake(options, control);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  auto silent = raw_connect(*transport);
  ASSERT_TRUE(sender->poll());
  EXPECT_FALSE(drain(*silent).closed) << "dropped before its deadline";
  std::this_thread::sleep_for(options.hello_timeout + 20ms);
  (void)sender->poll();
  const PeerSaw saw = drain(*silent, kShort);
  ASSERT_TRUE(saw.error.has_value());
  EXPECT_EQ(*saw.error, ErrorCode::Timeout);
  EXPECT_TRUE(saw.closed);
  EXPECT_EQ(sender->stats().dropped_connections, 1u);
  EXPECT_EQ(sender->stats().receivers, 1u) << "a receiver is no pending connection";
  ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *receiver));
}

TEST(SenderLimits, ReceiversAreBounded) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  SenderOptions options = sender_options(transport);
  options.max_receivers = 2;
  auto sender = publish_fake(options, control);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto first = connect_fake(*sender, transport);
  auto second = connect_fake(*sender, transport);
  ASSERT_TRUE(first && second);
  ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *first));  // the ring grows for two
  const std::uint64_t generation = sender->stats().generation;
  auto third = connect_fake(*sender, transport);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code(), ErrorCode::Unsupported) << third.error().to_string();
  EXPECT_NE(third.error().message().find("2 receivers"), std::string::npos)
      << third.error().to_string();
  EXPECT_EQ(sender->stats().receivers, 2u);
  EXPECT_EQ(sender->stats().dropped_connections, 1u);
  ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *first));
  EXPECT_EQ(sender->stats().generation, generation) << "a refused receiver grew the ring";
  // A place freed is a place taken.
  { const ReceiverCore gone = std::move(*first); }
  auto again = connect_fake(*sender, transport);
  ASSERT_TRUE(again) << again.error().to_string();
}

TEST(SenderLimits, PublishRefusesZeroBounds) {
  auto transport = make_transport();
  SenderOptions options = sender_options(transport);
  options.max_receivers = 0;
  auto refused = publish_fake(options, std::make_shared<FakeSenderControl>());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Validation);
  options = sender_options(transport);
  options.max_pending_connections = 0;
  EXPECT_FALSE(publish_fake(options, std::make_shared<FakeSenderControl>()));
  options = sender_options(transport);
  options.hello_timeout = 0ms;
  EXPECT_FALSE(publish_fake(options, std::make_shared<FakeSenderControl>()));
}

TEST(SenderLimits, AReceiverThatFloodsIsDroppedAtItsFirstMessage) {
  // Version 2 receivers send nothing after Hello (frames are claimed and released on their
  // pages), so whatever a receiver sends next is unexpected: one message, not a flood, is
  // read before it is dropped, and the other receiver goes on.
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  auto flooder = raw_connect(*transport);
  post(*flooder, fake_hello());
  ASSERT_TRUE(sender->poll());
  ASSERT_EQ(sender->stats().receivers, 2u);
  const std::size_t flood = kMaxMessagesPerPeerPerPoll + kMaxMessagesPerPeerPerPoll / 2;
  for (std::size_t i = 0; i < flood; ++i) post(*flooder, ipc::DescribeRequest{});
  ASSERT_TRUE(sender->poll());
  EXPECT_EQ(sender->stats().receivers, 1u);
  EXPECT_EQ(sender->stats().dropped_connections, 1u);
  ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *receiver));
}

TEST(SenderLimits, ReceiversComingAndGoingCauseAHandfulOfGenerations) {
  // The ring never shrinks, so churn regenerates it only while it grows: 50 receivers
  // connecting and leaving one after another, up to three at a time, need 3 + 2 + 2 slots.
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender) << sender.error().to_string();
  std::deque<ReceiverCore> live;
  for (int i = 0; i < 50; ++i) {
    if (live.size() == 3) live.pop_front();
    auto receiver = connect_fake(*sender, transport);
    ASSERT_TRUE(receiver) << i << ": " << receiver.error().to_string();
    live.push_back(std::move(receiver).value());
    ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, live.back())) << i;
  }
  EXPECT_LE(sender->stats().generation, 3u);
  EXPECT_EQ(control->slot_count, 7u);
  // One at a time: no growth at all.
  live.clear();
  (void)sender->poll();
  const std::uint64_t generation = sender->stats().generation;
  for (int i = 0; i < 50; ++i) {
    auto receiver = connect_fake(*sender, transport);
    ASSERT_TRUE(receiver) << i << ": " << receiver.error().to_string();
    ASSERT_NO_FATAL_FAILURE(expect_frames_flow(*sender, *receiver)) << i;
  }
  EXPECT_EQ(sender->stats().generation, generation);
}

}  // namespace
}  // namespace geyser::channel::test
