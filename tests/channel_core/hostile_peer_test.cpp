// Malformed and hostile peers of a sender, over raw loopback connections: each is closed
// (and counted) or answered as it deserves, while a real receiver on the same channel goes
// on getting whole frames and the sender goes on writing.
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

// What the sender does with the peer.
enum class Outcome {
  Dropped,   // closed after an Error message with `code`, counted in dropped_connections
  Refused,   // closed at accept, before any message; counted
  Closed,    // closed without an Error; not counted
  Answered,  // got a Description, then closed; not counted
  Kept,      // still a receiver
};

struct PeerCase {
  const char* name;
  std::function<void(ipc::Connection& peer, SenderCore& sender)> act;
  Outcome outcome;
  ErrorCode code = ErrorCode::Protocol;
  // How the peer connects; empty: LoopbackTransport::connect.
  std::function<Result<std::unique_ptr<ipc::Connection>>(TestTransport&)> connect;
};

void send_bytes(ipc::Connection& peer, std::vector<std::uint8_t> bytes,
                std::vector<NativeHandle> handles = {}) {
  ASSERT_TRUE(peer.send(bytes, handles, kShort));
}

void post(ipc::Connection& peer, const ipc::Message& message) {
  auto sent = send_message(peer, message);
  ASSERT_TRUE(sent) << sent.error().to_string();
}

// Says Hello as a real receiver would and reads the stream description: what it got.
PeerSaw hello(ipc::Connection& peer, SenderCore& sender) {
  post(peer, fake_hello());
  EXPECT_TRUE(sender.poll());
  PeerSaw saw = drain(peer);
  EXPECT_NE(saw.generation, 0u);
  EXPECT_TRUE(saw.board && saw.page);
  return saw;
}

// Writes frames until `count` slots hold one, so that there is something to claim.
void fill_slots(SenderCore& sender, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) ASSERT_TRUE(write_frame(sender));
}

constexpr std::size_t kHeaderOffsetOfBody = ipc::kHeaderSize;

std::vector<std::uint8_t> goodbye_bytes() {
  return encode_bytes(ipc::Goodbye{});
}

ipc::PeerCredentials another_uid() {
  return ipc::PeerCredentials{::getpid(), ::geteuid() + 1, ::getegid()};
}

const PeerCase kCases[] = {
    {"GarbageBytes",
     [](ipc::Connection& peer, SenderCore&) {
       send_bytes(peer, std::vector<std::uint8_t>(64, 0xab));
     },
     Outcome::Dropped},
    {"TruncatedHeader",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = goodbye_bytes();
       bytes.resize(7);
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"WrongMagic",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = goodbye_bytes();
       bytes[0] ^= 0xff;
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"WrongVersion",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = encode_bytes(fake_hello());
       bytes[4] = 3;  // the header's version (u16 at offset 4)
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"VersionOneHello",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = encode_bytes(fake_hello());
       bytes[4] = 1;  // a receiver of protocol version 1
       bytes[kHeaderOffsetOfBody] = 1;
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"UnknownType",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = goodbye_bytes();
       bytes[6] = 99;  // the header's type (u16 at offset 6)
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"BodyLongerThanTheHeaderSays",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = encode_bytes(fake_hello());
       bytes.push_back(0);
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"OversizedMessage",
     [](ipc::Connection& peer, SenderCore&) {
       send_bytes(peer, std::vector<std::uint8_t>(ipc::kMaxMessageSize + 1, 0));
     },
     Outcome::Dropped},
    {"TooManyHandles",
     [](ipc::Connection& peer, SenderCore&) {
       const int fd = peer.native_handle();
       send_bytes(peer, goodbye_bytes(),
                  std::vector<NativeHandle>(ipc::kMaxHandlesPerMessage + 1, fd));
     },
     Outcome::Dropped},
    {"HelloWithHandlesAttached",
     [](ipc::Connection& peer, SenderCore&) {
       auto bytes = encode_bytes(fake_hello());
       bytes[12] = 2;  // the header's handle count (u16 at offset 12), consistent with them
       send_bytes(peer, bytes, {peer.native_handle(), peer.native_handle()});
     },
     Outcome::Dropped},
    {"HelloWithUndeclaredHandles",
     [](ipc::Connection& peer, SenderCore&) {
       send_bytes(peer, encode_bytes(fake_hello()), {peer.native_handle()});
     },
     Outcome::Dropped},
    {"ManyBadMessagesInARow",
     [](ipc::Connection& peer, SenderCore&) {
       for (int i = 0; i < 100; ++i) send_bytes(peer, std::vector<std::uint8_t>(20, 0x5a));
     },
     Outcome::Dropped},
    {"VersionOneReleaseMessage",
     [](ipc::Connection& peer, SenderCore& sender) {
       (void)hello(peer, sender);
       auto bytes = goodbye_bytes();
       bytes[6] = 4;  // version 1's FrameReleased: unknown in version 2
       send_bytes(peer, bytes);
     },
     Outcome::Dropped},
    {"DescriptionBeforeHello",
     [](ipc::Connection& peer, SenderCore&) { post(peer, ipc::Description{}); }, Outcome::Dropped},
    {"HelloFromAnotherDevice",
     [](ipc::Connection& peer, SenderCore&) { post(peer, fake_hello(fake_identity(9))); },
     Outcome::Dropped, ErrorCode::DeviceMismatch},
    {"HelloFromAnUnknownDevice",
     [](ipc::Connection& peer, SenderCore&) { post(peer, fake_hello(DeviceIdentity{})); },
     Outcome::Dropped, ErrorCode::DeviceMismatch},
    // Page words are the receiver's to write; whatever it writes there binds only the
    // frames the board says are in a slot, and at most two of them.
    {"ReleasesOfFramesNeverClaimed",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       for (std::uint32_t slot = 0; slot < ipc::kBoardSlots; ++slot) {
         joined.page->release(slot, 999 + slot);
       }
     },
     Outcome::Kept},
    {"ClaimsOfFramesNeverPresented",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       for (std::uint32_t slot = 0; slot < ipc::kBoardSlots; ++slot) {
         joined.page->claim(slot, (std::uint64_t{1} << 63) + slot);
       }
     },
     Outcome::Kept},
    {"ClaimsOfTwoFramesHeldForever",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       ASSERT_NO_FATAL_FAILURE(fill_slots(sender, 2));
       std::uint32_t claimed = 0;
       for (std::uint32_t slot = 0; slot < ipc::kBoardSlots && claimed < 2; ++slot) {
         if (const auto frame = joined.board->slot_frame(slot); frame != 0) {
           joined.page->claim(slot, frame);
           ++claimed;
         }
       }
       ASSERT_EQ(claimed, 2u);
     },
     Outcome::Kept},
    {"ClaimsOfEveryFrameOnTheBoard",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       ASSERT_NO_FATAL_FAILURE(fill_slots(sender, 5));
       std::uint32_t claimed = 0;
       for (std::uint32_t slot = 0; slot < ipc::kBoardSlots; ++slot) {
         if (const auto frame = joined.board->slot_frame(slot); frame != 0) {
           joined.page->claim(slot, frame);
           ++claimed;
         }
       }
       ASSERT_GE(claimed, 3u);
       // The next acquire finds every slot claimed, sees one receiver claims more than two
       // at once, drops it and gets a slot.
       auto slot = sender.acquire(0ms);
       ASSERT_TRUE(slot) << slot.error().to_string();
       sender.cancel(*slot);
     },
     Outcome::Dropped},
    {"SecondHello",
     [](ipc::Connection& peer, SenderCore& sender) {
       (void)hello(peer, sender);
       post(peer, fake_hello());
     },
     Outcome::Dropped},
    {"SenderMessageFromAReceiver",
     [](ipc::Connection& peer, SenderCore& sender) {
       (void)hello(peer, sender);
       post(peer, ipc::Description{});
     },
     Outcome::Dropped},
    {"ReceiverReportsAnError",
     [](ipc::Connection& peer, SenderCore& sender) {
       (void)hello(peer, sender);
       post(peer, ipc::ErrorMessage{ErrorCode::Internal, "the receiver's device was lost"});
     },
     Outcome::Dropped, ErrorCode::Internal},
    {"ClaimsLeftFromAnOldGeneration",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       ASSERT_NO_FATAL_FAILURE(fill_slots(sender, 3));
       for (std::uint32_t slot = 0; slot < ipc::kBoardSlots; ++slot) {
         if (const auto frame = joined.board->slot_frame(slot); frame != 0) {
           joined.page->claim(slot, frame);
         }
       }
       ASSERT_TRUE(sender.resize(sender.descriptor()));  // a new ring: those claims bind nothing
       (void)drain(peer);
     },
     Outcome::Kept},
    // A false report of late wakes only turns fan-out off: the sender wakes everyone.
    {"ReportsLateWakesFalsely",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       ASSERT_TRUE(write_frame(sender));
       EXPECT_TRUE(sender.stats().fan_out) << "two receivers: fan-out";
       joined.page->report_late_wakes(0xffffffffu);
       ASSERT_TRUE(write_frame(sender));
       EXPECT_FALSE(sender.stats().fan_out);
     },
     Outcome::Kept},
    // A page that says nobody sleeps (or garbage) costs only the peer its own wakes, or
    // the sender a wake per present: the real receiver goes on either way.
    {"SaysNobodySleepsWhileItWaits",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       joined.page->count_sleepers(false);
       ASSERT_TRUE(write_frame(sender));
     },
     Outcome::Kept},
    {"SleepersWordOverflows",
     [](ipc::Connection& peer, SenderCore& sender) {
       const PeerSaw joined = hello(peer, sender);
       joined.page->count_sleepers(true);
       for (int i = 0; i < 3; ++i) joined.page->end_sleep();  // below zero: wraps
       ASSERT_TRUE(write_frame(sender));
     },
     Outcome::Kept},
    {"StalledReceiver",
     [](ipc::Connection& peer, SenderCore& sender) { (void)hello(peer, sender); }, Outcome::Kept},
    {"HelloThenGoodbye",
     [](ipc::Connection& peer, SenderCore& sender) {
       (void)hello(peer, sender);
       post(peer, ipc::Goodbye{});
     },
     Outcome::Closed},
    {"DescribeRequest",
     [](ipc::Connection& peer, SenderCore&) { post(peer, ipc::DescribeRequest{}); },
     Outcome::Answered},
    {"AnotherUid", [](ipc::Connection& peer, SenderCore&) { post(peer, fake_hello()); },
     Outcome::Refused, ErrorCode::PermissionDenied,
     [](TestTransport& transport) {
       return transport.connect_as(kChannel, another_uid(), kShort);
     }},
};

class HostilePeer : public ::testing::TestWithParam<PeerCase> {};

TEST_P(HostilePeer, IsHandledWhileARealReceiverGoesOn) {
  const PeerCase& c = GetParam();
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver);
  auto check_round = [&] {
    auto written = write_frame(*sender);
    ASSERT_TRUE(written) << written.error().to_string();
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, *written);
    EXPECT_TRUE(holds_pattern(*lease));
  };
  ASSERT_NO_FATAL_FAILURE(check_round());
  const std::size_t fds = fd_count();
  const std::size_t slots = control->slot_count;
  const std::uint64_t dropped = sender->stats().dropped_connections;

  {
    auto peer = c.connect ? c.connect(*transport) : transport->connect(kChannel, kShort);
    ASSERT_TRUE(peer) << peer.error().to_string();
    ASSERT_NO_FATAL_FAILURE(c.act(**peer, *sender));
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(check_round());
    const PeerSaw saw = drain(**peer);
    const SenderStats stats = sender->stats();
    switch (c.outcome) {
      case Outcome::Dropped:
        EXPECT_EQ(stats.dropped_connections, dropped + 1);
        ASSERT_TRUE(saw.error.has_value());
        EXPECT_EQ(*saw.error, c.code);
        EXPECT_TRUE(saw.closed);
        break;
      case Outcome::Refused:
        EXPECT_EQ(stats.dropped_connections, dropped + 1);
        EXPECT_TRUE(saw.messages.empty());
        EXPECT_TRUE(saw.closed);
        break;
      case Outcome::Closed:
        EXPECT_EQ(stats.dropped_connections, dropped);
        EXPECT_FALSE(saw.error.has_value());
        EXPECT_TRUE(saw.closed);
        break;
      case Outcome::Answered:
        EXPECT_EQ(stats.dropped_connections, dropped);
        ASSERT_TRUE(saw.description.has_value());
        EXPECT_EQ(saw.description->width, 8u);
        EXPECT_EQ(saw.description->height, 4u);
        EXPECT_EQ(saw.description->frame_count, 1u);
        EXPECT_EQ(saw.description->receiver_count, 1u);
        EXPECT_EQ(saw.description->sync_mode, SyncMode::Cpu);
        EXPECT_EQ(saw.description->sender_pid, static_cast<std::uint32_t>(::getpid()));
        EXPECT_TRUE(saw.closed);
        break;
      case Outcome::Kept:
        EXPECT_EQ(stats.dropped_connections, dropped);
        EXPECT_FALSE(saw.closed);
        EXPECT_EQ(stats.receivers, 2u);
        break;
    }
    EXPECT_EQ(stats.receivers, c.outcome == Outcome::Kept ? 2u : 1u);
  }
  // The peer is gone; the sender and the receiver go on, and nothing leaked.
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(check_round());
  EXPECT_EQ(sender->stats().receivers, 1u);
  EXPECT_EQ(control->retired_links, 0);
  EXPECT_EQ(control->live_links, static_cast<int>(control->slot_count));
  if (control->slot_count == slots) {
    EXPECT_EQ(fd_count(), fds);
  }
  EXPECT_EQ(control->violations, 0) << control->last_violation;
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
}

INSTANTIATE_TEST_SUITE_P(Cases, HostilePeer, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PeerCase>& test) {
                           return std::string(test.param.name);
                         });

TEST(HostilePeers, AnotherUidIsAdmittedWhenThePolicySaysSo) {
  auto transport = make_transport();
  SenderOptions options = sender_options(transport);
  options.peers.also_allowed_uids.push_back(::geteuid() + 1);
  auto sender = publish_fake(options, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  auto peer = transport->connect_as(kChannel, another_uid(), kShort);
  ASSERT_TRUE(peer);
  post(**peer, fake_hello());
  ASSERT_TRUE(sender->poll());
  const PeerSaw saw = drain(**peer);
  EXPECT_NE(saw.generation, 0u);
  EXPECT_FALSE(saw.closed);
  EXPECT_EQ(sender->stats().receivers, 1u);
  EXPECT_EQ(sender->stats().dropped_connections, 0u);
}

TEST(HostilePeers, RefusedUidsRetryingInALoopAreAllCounted) {
  auto transport = make_transport();
  auto sender = publish_fake(transport, std::make_shared<FakeSenderControl>());
  ASSERT_TRUE(sender);
  for (int i = 0; i < 10; ++i) {
    auto peer = transport->connect_as(kChannel, another_uid(), kShort);
    ASSERT_TRUE(peer);
    ASSERT_TRUE(sender->poll());
    EXPECT_TRUE(drain(**peer).closed);
  }
  EXPECT_EQ(sender->stats().dropped_connections, 10u);
  EXPECT_EQ(sender->stats().receivers, 0u);
  auto receiver = connect_fake(*sender, transport);
  ASSERT_TRUE(receiver);
}

}  // namespace
}  // namespace geyser::channel::test
