// A hostile sender: a raw listener that answers a real ReceiverCore's Hello with garbage,
// broken descriptions or impossible frames. The receiver returns the right error, tells
// the sender why, and neither crashes nor hangs nor leaks.
#include <sys/mman.h>

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geyser/channel/discovery.hpp"
#include "geyser/ipc/message_io.hpp"
#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

// The sender's end of the protocol by hand, with a FakeSenderBackend for real slots.
struct RawSender {
  std::shared_ptr<TestTransport> transport;
  std::shared_ptr<FakeSenderControl> control = std::make_shared<FakeSenderControl>();
  FakeSenderBackend backend{control};
  std::vector<std::unique_ptr<ProducerLink>> links;
  std::unique_ptr<ipc::TransportListener> listener;
  std::unique_ptr<ipc::Connection> connection;
  TextureDescriptor desc = small_desc();
  ipc::BoardWriter board = ipc::BoardWriter::create().value();
  ipc::ReceiverPage page = ipc::ReceiverPage::create().value();

  void listen() {
    auto published = transport->listen(kChannel);
    ASSERT_TRUE(published) << published.error().to_string();
    listener = std::move(published).value();
  }
  // Publishes posing as `owner`: the receiver sees those credentials as its sender's.
  void listen_as(const ipc::PeerCredentials& owner) {
    auto published = transport->listen_as(kChannel, owner);
    ASSERT_TRUE(published) << published.error().to_string();
    listener = std::move(published).value();
  }
  // Accepts the receiver and reads its Hello.
  void accept_hello() {
    auto accepted = listener->accept(kBound);
    ASSERT_TRUE(accepted) << accepted.error().to_string();
    connection = std::move(accepted).value();
    auto hello = ipc::receive(*connection, kBound);
    ASSERT_TRUE(hello) << hello.error().to_string();
    ASSERT_TRUE(std::holds_alternative<ipc::Hello>(*hello));
    EXPECT_EQ(std::get<ipc::Hello>(*hello).identity, fake_identity());
  }
  // A valid description of `count` slots, whose handles come from the fake backend.
  ipc::StreamDescription description(std::uint64_t generation, std::size_t count = 2) {
    ipc::StreamDescription d;
    links.clear();
    EXPECT_TRUE(backend.create_slots(desc, count));
    d.generation = generation;
    d.descriptor = desc;
    d.image = backend.slot_export(0).image;
    d.handle_type = MemoryHandleType::OpaqueFd;
    d.identity = control->identity;
    d.sync_mode = SyncMode::Cpu;
    d.board = board.share().value();
    d.page = page.share().value();
    for (std::size_t i = 0; i < count; ++i) {
      auto link = backend.create_link(i, SyncMode::Cpu);
      EXPECT_TRUE(link);
      auto sync = (*link)->export_handles();
      auto memory = backend.slot_export(i).os_handle.duplicate();
      EXPECT_TRUE(sync && memory);
      d.slots.push_back(ipc::SlotHandles{std::move(memory).value(), std::move(sync->ready),
                                         std::move(sync->released)});
      links.push_back(std::move(link).value());
    }
    return d;
  }
  void send(const ipc::Message& message) {
    auto sent = send_message(*connection, message);
    ASSERT_TRUE(sent) << sent.error().to_string();
  }
  void send_bytes(const std::vector<std::uint8_t>& bytes, std::span<const NativeHandle> handles) {
    ASSERT_TRUE(connection->send(bytes, handles, kShort));
  }
  // Sends `d` with its handles, changed by `edit` first.
  void send_edited(
      ipc::StreamDescription d,
      const std::function<void(std::vector<std::uint8_t>&, std::vector<NativeHandle>&)>& edit) {
    const ipc::Message message(std::move(d));  // owns the fds that `encoded` borrows
    auto encoded = ipc::encode(message);
    ASSERT_TRUE(encoded) << encoded.error().to_string();
    edit(encoded->bytes, encoded->handles);
    send_bytes(encoded->bytes, encoded->handles);
  }
  // Announces `record` on the board as a real sender does (the slot's word first).
  void announce(const ipc::FrameRecord& record) {
    board.set_slot_frame(record.slot, record.frame);
    board.publish(record);
  }
  // Writes frame `written` into `slot` and signals it as a real sender does, but announces
  // it as `record` says.
  void present_as(std::uint32_t slot, std::uint64_t written, const ipc::FrameRecord& record) {
    EXPECT_TRUE(backend.write(slot, pattern(desc, written)));
    ProducerLink* link = links[slot].get();
    EXPECT_TRUE(backend.present(slot, written, {&link, 1}, 0ms));
    announce(record);
  }
  // Writes and announces frame `frame` in `slot`, as a real sender does.
  void present(std::uint64_t generation, std::uint32_t slot, std::uint64_t frame) {
    EXPECT_TRUE(backend.write(slot, pattern(desc, frame)));
    ProducerLink* link = links[slot].get();
    EXPECT_TRUE(backend.present(slot, frame, {&link, 1}, 0ms));
    announce(record(generation, slot, frame, frame, kSharedImageLayout));
  }
  static ipc::FrameRecord record(std::uint64_t generation, std::uint32_t slot, std::uint64_t frame,
                                 std::uint64_t timeline_value, std::uint32_t layout,
                                 std::uint32_t metadata_size = 0) {
    ipc::FrameRecord r;
    r.generation = generation;
    r.slot = slot;
    r.frame = frame;
    r.timeline_value = timeline_value;
    r.timestamp_ns = 1;
    r.layout = layout;
    r.metadata_size = metadata_size;
    return r;
  }
};

UniqueFd memfd_of(std::size_t size) {
  UniqueFd fd(::memfd_create("geyser-hostile", MFD_CLOEXEC));
  if (fd) (void)::ftruncate(fd.get(), static_cast<off_t>(size));
  return fd;
}

struct SenderCase {
  const char* name;
  // Answers the Hello.
  std::function<void(RawSender&)> answer;
  // What connect() returns: nullopt when it succeeds.
  std::optional<ErrorCode> connect_code;
  // Then, once connected: does something wrong before the receiver's acquire.
  std::function<void(RawSender&)> after = {};
  ErrorCode acquire_code = ErrorCode::Protocol;
  std::chrono::milliseconds timeout = kBound;
};

void valid_description(RawSender& raw) {
  raw.send(raw.description(5));
}

const SenderCase kCases[] = {
    {"GarbageAnswer",
     [](RawSender& raw) { raw.send_bytes(std::vector<std::uint8_t>(40, 0xee), {}); },
     ErrorCode::Protocol},
    {"TruncatedAnswer",
     [](RawSender& raw) {
       auto bytes = encode_bytes(ipc::Goodbye{});
       bytes.resize(10);
       raw.send_bytes(bytes, {});
     },
     ErrorCode::Protocol},
    {"OversizedAnswer",
     [](RawSender& raw) {
       raw.send_bytes(std::vector<std::uint8_t>(ipc::kMaxMessageSize + 1, 0), {});
     },
     ErrorCode::Protocol},
    {"HelloAnswer", [](RawSender& raw) { raw.send(fake_hello()); }, ErrorCode::Protocol},
    {"VersionOneFrameMessage",
     [](RawSender& raw) {
       auto bytes = encode_bytes(ipc::Goodbye{});
       bytes[6] = 3;  // version 1's FramePresented: unknown in version 2
       raw.send_bytes(bytes, {});
     },
     ErrorCode::Protocol},
    {"VersionOneSender",
     [](RawSender& raw) {
       auto bytes = encode_bytes(ipc::Goodbye{});
       bytes[4] = 1;  // a sender of protocol version 1
       raw.send_bytes(bytes, {});
     },
     ErrorCode::Protocol},
    {"DescriptionWithoutABoard",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.board = memfd_of(ipc::kBoardSize);  // not sealed: any receiver could write it
       raw.send(std::move(d));
     },
     ErrorCode::Protocol},
    {"DescriptionWithAPageTooSmall",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.page = memfd_of(16);
       raw.send(std::move(d));
     },
     ErrorCode::Protocol},
    {"DescriptionMissingAHandle",
     [](RawSender& raw) {
       raw.send_edited(raw.description(1), [](auto&, auto& handles) { handles.pop_back(); });
     },
     ErrorCode::Protocol},
    {"DescriptionWithAnExtraHandle",
     [](RawSender& raw) {
       raw.send_edited(raw.description(1),
                       [](auto&, auto& handles) { handles.push_back(handles.front()); });
     },
     ErrorCode::Protocol},
    {"DescriptionDeclaringOneSlotLess",
     [](RawSender& raw) {
       raw.send_edited(raw.description(1, 3), [](auto& bytes, auto& handles) {
         handles.resize(handles.size() - ipc::kHandlesPerSlot);
         bytes[12] = static_cast<std::uint8_t>(handles.size());  // header handle count
       });
     },
     ErrorCode::Protocol},
    {"DescriptionOfAnotherDevice",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.identity = fake_identity(7);
       raw.send(std::move(d));
     },
     ErrorCode::DeviceMismatch},
    {"DescriptionWithMemoryOfTheWrongSize",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.slots[1].memory = memfd_of(3);
       raw.send(std::move(d));
     },
     ErrorCode::Validation},
    {"DescriptionWithATimelineThatIsNone",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.slots[0].ready = memfd_of(4096);
       raw.send(std::move(d));
     },
     ErrorCode::Validation},
    {"DescriptionInGpuModeToACpuReceiver",
     [](RawSender& raw) {
       auto d = raw.description(1);
       d.sync_mode = SyncMode::Gpu;
       raw.send(std::move(d));
     },
     ErrorCode::Unsupported},
    {"ErrorAnswer",
     [](RawSender& raw) {
       raw.send(ipc::ErrorMessage{ErrorCode::PermissionDenied, "not for you"});
     },
     ErrorCode::PermissionDenied},
    {"SilentSender", [](RawSender&) {}, ErrorCode::Timeout, {}, ErrorCode::Protocol, 20ms},
    {"FrameInASlotOutOfRange", valid_description, std::nullopt,
     [](RawSender& raw) { raw.announce(RawSender::record(5, 2, 1, 1, kSharedImageLayout)); }},
    {"FrameWithMetadataOverTheLimit", valid_description, std::nullopt,
     [](RawSender& raw) { raw.announce(RawSender::record(5, 0, 1, 1, kSharedImageLayout, 257)); }},
    {"FrameOfAFutureGenerationWaitsForItsDescription", valid_description, std::nullopt,
     [](RawSender& raw) { raw.announce(RawSender::record(6, 0, 1, 1, kSharedImageLayout)); },
     ErrorCode::Timeout},
    {"FrameOfAPastGenerationIsIgnored", valid_description, std::nullopt,
     [](RawSender& raw) { raw.announce(RawSender::record(4, 0, 1, 1, kSharedImageLayout)); },
     ErrorCode::Timeout},
    {"FrameNeverWritten", valid_description, std::nullopt,
     [](RawSender& raw) { raw.announce(RawSender::record(5, 0, 1, 1, kSharedImageLayout)); },
     ErrorCode::Timeout},
    {"FrameWhoseSlotSaysOtherwise", valid_description, std::nullopt,
     [](RawSender& raw) {
       // The record says frame 1 is in slot 0, the slot's word says it is being rewritten:
       // the claim does not hold, nothing is read.
       raw.board.publish(RawSender::record(5, 0, 1, 1, kSharedImageLayout));
     },
     ErrorCode::Timeout},
    {"HelloMidstream", valid_description, std::nullopt,
     [](RawSender& raw) { raw.send(fake_hello()); }},
    {"GarbageMidstream", valid_description, std::nullopt,
     [](RawSender& raw) { raw.send_bytes(std::vector<std::uint8_t>(17, 1), {}); }},
    {"GoodbyeMidstream", valid_description, std::nullopt,
     [](RawSender& raw) { raw.send(ipc::Goodbye{}); }, ErrorCode::Disconnected},
};

class HostileSender : public ::testing::TestWithParam<SenderCase> {};

TEST_P(HostileSender, TheReceiverFailsCleanly) {
  const SenderCase& c = GetParam();
  const std::size_t fds = fd_count();
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  {
    RawSender raw{make_transport()};
    ASSERT_NO_FATAL_FAILURE(raw.listen());
    auto connecting = std::async(std::launch::async, [&] {
      return connect_unserved(raw.transport, receiver_control, c.timeout);
    });
    ASSERT_NO_FATAL_FAILURE(raw.accept_hello());
    ASSERT_NO_FATAL_FAILURE(c.answer(raw));
    auto receiver = connecting.get();
    if (c.connect_code) {
      ASSERT_FALSE(receiver);
      EXPECT_EQ(receiver.error().code(), *c.connect_code) << receiver.error().to_string();
      if (*c.connect_code != ErrorCode::Timeout) {
        // The receiver told the sender why it hung up.
        const PeerSaw saw = drain(*raw.connection, kShort);
        ASSERT_TRUE(saw.error.has_value());
        EXPECT_EQ(*saw.error, *c.connect_code);
        EXPECT_TRUE(saw.closed);
      }
    } else {
      ASSERT_TRUE(receiver) << receiver.error().to_string();
      EXPECT_EQ(receiver->state(), ReceiverState::Connected);
      EXPECT_EQ(receiver->descriptor(), raw.desc);
      ASSERT_NO_FATAL_FAILURE(c.after(raw));
      auto lease = receiver->acquire(kShort);
      ASSERT_FALSE(lease);
      EXPECT_EQ(lease.error().code(), c.acquire_code) << lease.error().to_string();
      const bool fatal =
          c.acquire_code != ErrorCode::Timeout && c.acquire_code != ErrorCode::Disconnected;
      EXPECT_EQ(receiver->state(), c.acquire_code == ErrorCode::Timeout
                                       ? ReceiverState::Connected
                                       : ReceiverState::Disconnected);
      if (fatal) {
        const PeerSaw saw = drain(*raw.connection, kShort);
        ASSERT_TRUE(saw.error.has_value());
        EXPECT_EQ(*saw.error, c.acquire_code);
      }
      // After a proper frame it works (the connection is still there) or it looks for a
      // new sender, finds nobody answering and says so.
      if (receiver->state() == ReceiverState::Connected) {
        raw.present(5, 1, 2);
        auto good = receiver->acquire(kWait);
        ASSERT_TRUE(good) << good.error().to_string();
        EXPECT_EQ(good->frame, 2u);
        EXPECT_TRUE(holds_pattern(*good));
      } else {
        raw.listener.reset();
        auto again = receiver->acquire(kShort);
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().code(), ErrorCode::Disconnected);
      }
    }
  }
  EXPECT_EQ(receiver_control->live_imports, 0);
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
  EXPECT_EQ(fd_count(), fds);
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileSender, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<SenderCase>& test) {
                           return std::string(test.param.name);
                         });

TEST(HostileSenders, AValidRawSenderIsFollowedFrameByFrame) {
  // The raw sender above, used properly, is a sender like any other.
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  RawSender raw{make_transport()};
  ASSERT_NO_FATAL_FAILURE(raw.listen());
  auto connecting = std::async(std::launch::async, [&] {
    return connect_unserved(raw.transport, receiver_control, kBound);
  });
  ASSERT_NO_FATAL_FAILURE(raw.accept_hello());
  raw.send(raw.description(1, 3));
  auto receiver = connecting.get();
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  for (std::uint64_t f = 1; f <= 6; ++f) {
    raw.present(1, static_cast<std::uint8_t>(f % 3), f);
    auto lease = receiver->acquire(kWait);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->frame, f);
    EXPECT_TRUE(holds_pattern(*lease));
  }
  const PeerSaw saw = drain(*raw.connection);
  EXPECT_TRUE(saw.messages.empty()) << "frames are claimed and released on the page";
  EXPECT_EQ(raw.page.claimed(0), 6u);   // frame 6, held
  EXPECT_EQ(raw.page.released(2), 5u);  // frame 5, given back when 6 was acquired
  EXPECT_EQ(raw.page.released(1), 4u);
}

// Frames that break the order or the fields the protocol fixes (docs/protocol.md, "The
// frame board"): frame numbers rise on a connection from 1 and stay below 2^62, the
// timeline value is the frame number, the layout is kSharedImageLayout. A receiver would
// otherwise wait (on its queue, in gpu mode) for a value the sender chose.
struct Announced {
  std::uint64_t generation;
  std::uint32_t slot;
  std::uint64_t frame;
  std::uint64_t timeline_value;
  std::uint64_t timestamp_ns;
  std::uint32_t layout;
};
struct FrameCase {
  const char* name;
  std::uint64_t written;      // the frame the slot really holds and `ready` reaches
  Announced presented;        // generation 5, slot 1, after frame 3 in slot 0
  bool after_a_frame = true;  // false: the first frame of the connection
};

constexpr std::uint64_t k2To62 = std::uint64_t{1} << 62;
constexpr std::uint64_t k2To63 = std::uint64_t{1} << 63;

const FrameCase kFrameCases[] = {
    {"FrameGoingBackwards", 2, {5, 1, 2, 2, 1, kSharedImageLayout}},
    {"FrameRepeated", 3, {5, 1, 3, 3, 1, kSharedImageLayout}},
    {"FrameJumpingTo2To63", k2To63, {5, 1, k2To63, k2To63, 1, kSharedImageLayout}},
    {"FrameJumpingTo2To62", k2To62, {5, 1, k2To62, k2To62, 1, kSharedImageLayout}},
    {"TimelineValueAboveTheFrame", 4, {5, 1, 4, 5, 1, kSharedImageLayout}},
    {"TimelineValueBelowTheFrame", 4, {5, 1, 4, 3, 1, kSharedImageLayout}},
    {"LayoutUndefined", 4, {5, 1, 4, 4, 1, 0}},
    {"LayoutNotShared", 4, {5, 1, 4, 4, 1, kSharedImageLayout + 1}},
    {"FrameZeroFirst", 0, {5, 1, 0, 0, 1, kSharedImageLayout}, false},
};

class HostileFrames : public ::testing::TestWithParam<FrameCase> {};

TEST_P(HostileFrames, AreProtocolAndNeverAcquired) {
  const FrameCase& c = GetParam();
  const std::size_t fds = fd_count();
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  {
    RawSender raw{make_transport()};
    ASSERT_NO_FATAL_FAILURE(raw.listen());
    auto connecting = std::async(std::launch::async, [&] {
      return connect_unserved(raw.transport, receiver_control, kBound);
    });
    ASSERT_NO_FATAL_FAILURE(raw.accept_hello());
    raw.send(raw.description(5));
    auto receiver = connecting.get();
    ASSERT_TRUE(receiver) << receiver.error().to_string();
    if (c.after_a_frame) {
      raw.present(5, 0, 3);
      auto good = receiver->acquire(kWait);
      ASSERT_TRUE(good) << good.error().to_string();
      EXPECT_EQ(good->frame, 3u);
    }
    const Announced& a = c.presented;
    raw.present_as(a.slot, c.written,
                   RawSender::record(a.generation, a.slot, a.frame, a.timeline_value, a.layout));
    const auto start = std::chrono::steady_clock::now();
    auto bad = receiver->acquire(kWait);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(bad) << "acquired frame " << bad->frame << " (timeline value "
                      << c.presented.timeline_value << ", layout " << c.presented.layout << ")";
    EXPECT_EQ(bad.error().code(), ErrorCode::Protocol) << bad.error().to_string();
    EXPECT_LE(took, kWait + 100ms) << "the receiver waited past its timeout";
    EXPECT_EQ(receiver->state(), ReceiverState::Disconnected);
    const PeerSaw saw = drain(*raw.connection, kShort);
    ASSERT_TRUE(saw.error.has_value());
    EXPECT_EQ(*saw.error, ErrorCode::Protocol);
    EXPECT_TRUE(saw.closed);
    if (c.after_a_frame) {
      // The frame held before stays valid and whole.
      ASSERT_NE(receiver->held(), nullptr);
      EXPECT_EQ(receiver->held()->frame, 3u);
      EXPECT_TRUE(holds_pattern(*receiver->held()));
    }
    // It looks for a new sender, finds nobody and says so.
    raw.listener.reset();
    auto again = receiver->acquire(kShort);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::Disconnected);
    EXPECT_EQ(receiver->stats().frames_acquired, c.after_a_frame ? 1u : 0u);
  }
  EXPECT_EQ(receiver_control->live_imports, 0);
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
  EXPECT_EQ(fd_count(), fds);
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileFrames, ::testing::ValuesIn(kFrameCases),
                         [](const ::testing::TestParamInfo<FrameCase>& test) {
                           return std::string(test.param.name);
                         });

TEST(HostileSenders, FramesRiseAcrossGenerations) {
  // Frame numbers are the sender's, not the generation's: after a new description the
  // next frame still has to be above the last one of the connection.
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  RawSender raw{make_transport()};
  ASSERT_NO_FATAL_FAILURE(raw.listen());
  auto connecting = std::async(std::launch::async, [&] {
    return connect_unserved(raw.transport, receiver_control, kBound);
  });
  ASSERT_NO_FATAL_FAILURE(raw.accept_hello());
  raw.send(raw.description(1));
  auto receiver = connecting.get();
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  raw.present(1, 0, 7);
  ASSERT_TRUE(receiver->acquire(kWait));
  raw.send(raw.description(2));
  raw.present(2, 1, 8);
  auto next = receiver->acquire(kWait);
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(next->frame, 8u);
  raw.present(2, 0, 8);
  auto repeated = receiver->acquire(kWait);
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error().code(), ErrorCode::Protocol) << repeated.error().to_string();
}

// A sender's credentials, as the OS recorded them, pass the receiver's PeerPolicy.
constexpr ipc::PeerCredentials kStranger{4242, 12345, 12345};

TEST(SenderCredentials, ASenderOfAnotherUidIsPermissionDenied) {
  const std::size_t fds = fd_count();
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  {
    RawSender raw{make_transport()};
    ASSERT_NO_FATAL_FAILURE(raw.listen_as(kStranger));
    auto receiver = connect_unserved(raw.transport, receiver_control, kWait);
    ASSERT_FALSE(receiver);
    EXPECT_EQ(receiver.error().code(), ErrorCode::PermissionDenied) << receiver.error().to_string();
    EXPECT_NE(receiver.error().message().find("4242"), std::string::npos)
        << receiver.error().to_string();
    EXPECT_NE(receiver.error().message().find("12345"), std::string::npos)
        << receiver.error().to_string();
    // It hung up before saying anything.
    auto accepted = raw.listener->accept(kShort);
    if (accepted) {
      const PeerSaw saw = drain(**accepted, kShort);
      EXPECT_TRUE(saw.messages.empty());
      EXPECT_TRUE(saw.closed);
    }
  }
  EXPECT_EQ(receiver_control->live_imports, 0);
  EXPECT_EQ(fd_count(), fds);
}

TEST(SenderCredentials, AnotherUidAdmittedByThePolicyConnects) {
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  RawSender raw{make_transport()};
  ASSERT_NO_FATAL_FAILURE(raw.listen_as(kStranger));
  ReceiverOptions options = receiver_options(raw.transport);
  options.peers.also_allowed_uids = {12345};
  auto connecting = std::async(std::launch::async, [&] {
    return ReceiverCore::connect(std::make_unique<FakeReceiverBackend>(receiver_control), kChannel,
                                 kBound, options);
  });
  ASSERT_NO_FATAL_FAILURE(raw.accept_hello());
  raw.send(raw.description(1));
  auto receiver = connecting.get();
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  raw.present(1, 0, 1);
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(SenderCredentials, ListChannelsMarksASenderOfAnotherUidNotAlive) {
  RawSender raw{make_transport()};
  ASSERT_NO_FATAL_FAILURE(raw.listen_as(kStranger));
  auto listed = list_channels(*raw.transport, kShort);
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, kChannel);
  EXPECT_FALSE((*listed)[0].alive);
  EXPECT_NE((*listed)[0].error.find(std::string(to_string(ErrorCode::PermissionDenied))),
            std::string::npos)
      << (*listed)[0].error;
  EXPECT_NE((*listed)[0].error.find("12345"), std::string::npos) << (*listed)[0].error;
  // Admitted, it is asked (and this raw sender does not answer: not alive, for a timeout).
  ipc::PeerPolicy policy;
  policy.also_allowed_uids = {12345};
  auto admitted = list_channels(*raw.transport, kShort, policy);
  ASSERT_TRUE(admitted) << admitted.error().to_string();
  ASSERT_EQ(admitted->size(), 1u);
  EXPECT_EQ((*admitted)[0].error.find(std::string(to_string(ErrorCode::PermissionDenied))),
            std::string::npos)
      << (*admitted)[0].error;
}

}  // namespace
}  // namespace geyser::channel::test
