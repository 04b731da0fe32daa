// Reconnecting from an event loop: a receiver driven only by acquire(0), in the same thread
// as its sender, completes the handshake over several calls; a sender that accepts but never
// describes its stream is dropped after the handshake timeout and tried again.
#include <optional>

#include <gtest/gtest.h>

#include "geyser/ipc/message_io.hpp"
#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

TEST(Reconnect, AcquireZeroCompletesTheHandshakeOverSeveralCalls) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto first = publish_fake(transport, control);
  ASSERT_TRUE(first) << first.error().to_string();
  std::optional<SenderCore> sender(std::move(first).value());
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  sender.reset();  // the sender goes away ...
  auto gone = receiver->acquire(0ms);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected);

  auto second = publish_fake(transport, control);  // ... and comes back
  ASSERT_TRUE(second) << second.error().to_string();
  sender.emplace(std::move(second).value());
  // One thread, no call that waits: the receiver's Hello is answered by the sender's poll
  // between two acquire(0) calls, as in an application's main loop.
  int calls = 0;
  while (receiver->state() != ReceiverState::Connected && calls < 200) {
    ++calls;
    auto none = receiver->acquire(0ms);
    ASSERT_FALSE(none) << "a frame before any was presented";
    EXPECT_TRUE(none.error().code() == ErrorCode::Disconnected ||
                none.error().code() == ErrorCode::Timeout)
        << none.error().to_string();
    ASSERT_TRUE(sender->poll(1ms));
  }
  ASSERT_EQ(receiver->state(), ReceiverState::Connected) << "after " << calls << " calls";
  EXPECT_GE(calls, 2) << "the handshake cannot finish inside one acquire(0)";
  auto written = write_frame(*sender);
  ASSERT_TRUE(written) << written.error().to_string();
  auto frame = receiver->acquire(0ms);
  ASSERT_TRUE(frame) << frame.error().to_string();
  EXPECT_EQ(frame->frame, *written);
  EXPECT_TRUE(holds_pattern(*frame));
  EXPECT_EQ(receiver->stats().reconnects, 1u);
}

TEST(Reconnect, ASenderThatNeverDescribesItsStreamIsDroppedAndTriedAgain) {
  auto transport = make_transport();
  auto published = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(published) << published.error().to_string();
  std::optional<SenderCore> sender(std::move(published).value());
  ReceiverOptions options = receiver_options(transport);
  options.handshake_timeout = 50ms;
  std::optional<Result<ReceiverCore>> receiver;
  {
    TestTransport::Serving serving(*transport, [&] { (void)sender->poll(); });
    receiver.emplace(ReceiverCore::connect(
        std::make_unique<FakeReceiverBackend>(std::make_shared<FakeReceiverControl>()), kChannel,
        kBound, options));
  }
  ASSERT_TRUE(*receiver) << (*receiver).error().to_string();
  sender.reset();

  // A listener that takes connections and reads their Hello but never answers.
  auto listener = transport->listen(kChannel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  std::vector<std::unique_ptr<ipc::Connection>> accepted;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (accepted.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto none = (*receiver)->acquire(0ms);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code(), ErrorCode::Disconnected) << none.error().to_string();
    if (auto connection = (*listener)->accept(5ms)) accepted.push_back(std::move(*connection));
  }
  ASSERT_EQ(accepted.size(), 3u) << "the receiver stopped trying";
  // Every connection but the newest was closed by the receiver after its Hello.
  for (std::size_t i = 0; i + 1 < accepted.size(); ++i) {
    auto hello = ipc::receive(*accepted[i], kBound);
    ASSERT_TRUE(hello) << hello.error().to_string();
    EXPECT_TRUE(std::holds_alternative<ipc::Hello>(*hello));
    auto end = ipc::receive(*accepted[i], kBound);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error().code(), ErrorCode::Disconnected) << "connection " << i;
  }
}

TEST(Reconnect, AZeroHandshakeTimeoutIsValidation) {
  ReceiverOptions options = receiver_options(make_transport());
  options.handshake_timeout = 0ms;
  auto receiver = ReceiverCore::connect(
      std::make_unique<FakeReceiverBackend>(std::make_shared<FakeReceiverControl>()), kChannel,
      kWait, options);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Validation);
}

}  // namespace
}  // namespace geyser::channel::test
