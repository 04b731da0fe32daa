// list_channels over the loopback transport: what `geyser list` shows of live senders.
#include <optional>

#include <gtest/gtest.h>

#include "geyser/channel/discovery.hpp"
#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

TEST(Discovery, ListsEverySenderWithWhatItSays) {
  auto transport = make_transport();
  auto first = publish_fake(transport, std::make_shared<FakeSenderControl>());
  auto second = publish_fake(transport, std::make_shared<FakeSenderControl>(),
                             small_desc(32, 16, TextureFormat::Bgra8Unorm), "another-channel");
  ASSERT_TRUE(first && second);
  auto receiver = connect_fake(*first, transport);
  ASSERT_TRUE(receiver);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(write_frame(*first));
    ASSERT_TRUE(receiver->acquire(kWait));
  }

  // Both senders answer while the lister waits.
  std::optional<TestTransport::Serving> serving(std::in_place, *transport, [&] {
    (void)first->poll();
    (void)second->poll();
  });
  auto listed = list_channels(*transport, kBound);
  serving.reset();
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  const ChannelInfo& other = (*listed)[0];  // sorted by name
  const ChannelInfo& ours = (*listed)[1];
  EXPECT_EQ(other.name, "another-channel");
  EXPECT_TRUE(other.alive) << other.error;
  EXPECT_EQ(other.description.width, 32u);
  EXPECT_EQ(other.description.height, 16u);
  EXPECT_EQ(other.description.format, TextureFormat::Bgra8Unorm);
  EXPECT_EQ(other.description.frame_count, 0u);
  EXPECT_EQ(other.description.receiver_count, 0u);
  EXPECT_EQ(ours.name, kChannel);
  EXPECT_TRUE(ours.alive) << ours.error;
  EXPECT_EQ(ours.description.frame_count, 3u);
  EXPECT_EQ(ours.description.receiver_count, 1u);
  EXPECT_EQ(ours.description.sync_mode, SyncMode::Cpu);
  // A lister is neither a receiver nor a misbehaving peer, and the stream goes on.
  EXPECT_EQ(first->stats().receivers, 1u);
  EXPECT_EQ(first->stats().dropped_connections, 0u);
  auto written = write_frame(*first);
  ASSERT_TRUE(written);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->frame, *written);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(Discovery, ASenderThatDoesNotAnswerIsListedAsNotAlive) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  // Nobody polls the sender: the lister times out on it.
  auto listed = list_channels(*transport, 1ms);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE(listed->front().alive);
  EXPECT_FALSE(listed->front().error.empty());
  // Its unanswered request is no reason to drop anyone later.
  ASSERT_TRUE(sender->poll());
  EXPECT_EQ(sender->stats().dropped_connections, 0u);
}

TEST(Discovery, AGoneSenderIsNoLongerListed) {
  auto transport = make_transport();
  std::optional<SenderCore> sender;
  {
    auto published = publish_fake(transport, std::make_shared<FakeSenderControl>());
    ASSERT_TRUE(published);
    sender.emplace(std::move(published).value());
  }
  ASSERT_EQ(transport->list()->size(), 1u);
  sender.reset();
  auto listed = list_channels(*transport, kShort);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace geyser::channel::test
