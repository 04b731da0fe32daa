// Host frames in the channel core (docs/host-frames.md): a receiver on another device, or
// one that asks, gets linear copies in shared host memory, made once per frame for all
// such receivers, beside zero-copy receivers on the same channel.
#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

std::shared_ptr<FakeReceiverControl> host_receiver(DeviceIdentity identity = fake_identity(7)) {
  auto control = std::make_shared<FakeReceiverControl>();
  control->identity = identity;  // another device than the sender's fake_identity()
  control->host_frames = true;
  return control;
}

// The receiver's pitched rows hold the pattern of the frame it got.
void expect_frame(ReceiverCore& receiver, std::uint64_t frame) {
  auto lease = receiver.acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(lease->frame, frame);
  EXPECT_TRUE(holds_pattern(*lease));
}

TEST(HostTransfer, AReceiverOnAnotherDeviceGetsHostFrames) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  // 33 texels of RGBA8 are 132 bytes: the row pitch (256) pads every row.
  auto sender = publish_fake(transport, control, small_desc(33, 5));
  ASSERT_TRUE(sender);
  auto receiver_control = host_receiver();
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().transfer, Transfer::Host);
  EXPECT_EQ(receiver->stats().sync_mode, SyncMode::Cpu);
  EXPECT_EQ(sender->stats().host_receivers, 1u);
  EXPECT_EQ(control->host_slots, control->slot_count);
  for (std::uint64_t frame = 1; frame <= 20; ++frame) {
    ASSERT_TRUE(write_frame(*sender));
    expect_frame(*receiver, frame);
  }
  EXPECT_EQ(control->host_copies_done, 20u);
  EXPECT_EQ(control->violations, 0) << control->last_violation;
  EXPECT_EQ(receiver_control->violations, 0) << receiver_control->last_violation;
}

// A consumer woken by the announcement calls acquire(0) while the sender's copy into the
// host slot still runs (the record is published first, for the zero-copy receivers): it
// gets the frame once the copy ends, not a Timeout that costs it the frame.
TEST(HostTransfer, AcquireWithoutATimeoutWaitsForTheHostCopyOfAnAnnouncedFrame) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->host_copy_time = std::chrono::milliseconds(10);
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver_control = host_receiver();
  receiver_control->gpu_timeout = std::chrono::milliseconds(2000);
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  const NativeHandle events = receiver->native_event_handle();
  for (std::uint64_t frame = 1; frame <= 5; ++frame) {
    Result<std::uint64_t> written = fail(ErrorCode::Internal, "not written");
    std::thread writer([&] { written = write_frame(*sender); });
    Result<FrameLease> lease = fail(ErrorCode::Internal, "not acquired");
    // Woken for something else (a Timeout), the consumer waits again; it has 2 s.
    for (int attempt = 0; attempt < 200 && !lease; ++attempt) {
      if (readable(events, 10)) lease = receiver->acquire(std::chrono::milliseconds(0));
    }
    writer.join();
    ASSERT_TRUE(written) << written.error().to_string();
    ASSERT_TRUE(lease) << "frame " << frame << ": " << lease.error().to_string();
    EXPECT_EQ(lease->frame, frame);
    EXPECT_TRUE(holds_pattern(*lease));
  }
  EXPECT_EQ(receiver->stats().frames_skipped, 0u);
}

TEST(HostTransfer, OneCopyPerFrameForEveryHostReceiverBesideAZeroCopyOne) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto device_control = std::make_shared<FakeReceiverControl>();
  device_control->host_frames = true;  // could take host frames, but is on the same device
  auto zero_copy = connect_fake(*sender, transport, device_control);
  ASSERT_TRUE(zero_copy);
  EXPECT_EQ(zero_copy->stats().transfer, Transfer::Device);
  std::vector<ReceiverCore> hosts;
  for (std::uint8_t i = 0; i < 4; ++i) {
    auto r = connect_fake(*sender, transport,
                          host_receiver(fake_identity(static_cast<std::uint8_t>(10 + i))));
    ASSERT_TRUE(r) << r.error().to_string();
    hosts.push_back(std::move(r).value());
  }
  EXPECT_EQ(sender->stats().receivers, 5u);
  EXPECT_EQ(sender->stats().host_receivers, 4u);
  for (std::uint64_t frame = 1; frame <= 10; ++frame) {
    ASSERT_TRUE(write_frame(*sender));
    expect_frame(*zero_copy, frame);
    for (auto& r : hosts) expect_frame(r, frame);
  }
  EXPECT_EQ(control->host_copies_done, 10u);  // once per frame, not per receiver
}

TEST(HostTransfer, TheHostRingGoesWhenTheLastHostReceiverLeaves) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto zero_copy = connect_fake(*sender, transport);
  ASSERT_TRUE(zero_copy);
  {
    auto a = connect_fake(*sender, transport, host_receiver(fake_identity(3)));
    auto b = connect_fake(*sender, transport, host_receiver(fake_identity(4)));
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(write_frame(*sender));
    expect_frame(*a, 1);
    EXPECT_GT(control->host_slots, 0u);
  }
  for (int i = 0; i < 10 && sender->stats().receivers > 1; ++i) ASSERT_TRUE(sender->poll(kShort));
  EXPECT_EQ(sender->stats().host_receivers, 0u);
  EXPECT_EQ(control->host_slots, 0u);
  // No copies without host receivers; the zero-copy receiver goes on.
  const std::uint64_t copies = control->host_copies_done;
  ASSERT_TRUE(write_frame(*sender));
  expect_frame(*zero_copy, 2);
  EXPECT_EQ(control->host_copies_done, copies);
}

TEST(HostTransfer, ASenderThatCannotCopyToTheHostRefusesHostReceiversOnly) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->host_copies = false;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto refused = connect_fake(*sender, transport, host_receiver());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Unsupported) << refused.error().to_string();
  auto zero_copy = connect_fake(*sender, transport);
  ASSERT_TRUE(zero_copy);
  ASSERT_TRUE(write_frame(*sender));
  expect_frame(*zero_copy, 1);
}

// The record is out before the copy (zero-copy receivers need not wait for it); a copy
// that fails closes the host receivers with its error, and nobody else notices.
TEST(HostTransfer, AFailedHostCopyClosesTheHostReceiversOnly) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto zero_copy = connect_fake(*sender, transport);
  auto host = connect_fake(*sender, transport, host_receiver());
  ASSERT_TRUE(zero_copy && host);
  control->copy_to_host.arm(ErrorCode::DeviceLost);
  ASSERT_TRUE(write_frame(*sender)) << "the frame is presented to the zero-copy receiver";
  EXPECT_EQ(sender->stats().host_receivers, 0u);
  EXPECT_EQ(sender->stats().receivers, 1u);
  expect_frame(*zero_copy, 1);
  auto lost = host->acquire(kWait);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::DeviceLost) << lost.error().to_string();
  EXPECT_NE(lost.error().message().find("could not be copied to host memory"), std::string::npos)
      << lost.error().to_string();
  ASSERT_TRUE(write_frame(*sender));
  expect_frame(*zero_copy, 2);
  EXPECT_EQ(control->violations, 0) << control->last_violation;
}

TEST(HostTransfer, AskingForHostFramesOnTheSameDeviceGetsThem) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto forced = host_receiver(fake_identity());
  forced->transfer = TransferRequest::Host;
  auto receiver = connect_fake(*sender, transport, forced);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().transfer, Transfer::Host);
  ASSERT_TRUE(write_frame(*sender));
  expect_frame(*receiver, 1);
}

TEST(HostTransfer, ZeroCopyOnlyOnAnotherDeviceIsStillDeviceMismatch) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto strict = host_receiver();
  strict->transfer = TransferRequest::Device;
  auto receiver = connect_fake(*sender, transport, strict);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::DeviceMismatch);
  EXPECT_NE(receiver.error().message().find("did not ask for host frames"), std::string::npos)
      << receiver.error().message();
}

// A sender whose slots are its own memory (SenderBackend::shares_device_slots false, as
// host::Sender) gives host frames even to a receiver with its very identity, never calls
// slot_export or create_link, and refuses a zero-copy-only receiver, saying why.
TEST(HostTransfer, ASenderThatSharesNoSlotsGivesHostFramesOnly) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->shares_slots = false;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto same = host_receiver(fake_identity());  // the sender's own identity
  auto receiver = connect_fake(*sender, transport, same);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().transfer, Transfer::Host);
  for (std::uint64_t frame = 1; frame <= 5; ++frame) {
    ASSERT_TRUE(write_frame(*sender));
    expect_frame(*receiver, frame);
  }
  auto strict = host_receiver(fake_identity());
  strict->transfer = TransferRequest::Device;
  auto refused = connect_fake(*sender, transport, strict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::DeviceMismatch);
  EXPECT_NE(refused.error().message().find("shares no device slots"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(control->violations, 0) << control->last_violation;
  EXPECT_EQ(same->violations, 0) << same->last_violation;
}

TEST(HostTransfer, ABackendWithoutHostImportsCannotAskForThem) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto plain = std::make_shared<FakeReceiverControl>();
  plain->transfer = TransferRequest::Host;
  auto receiver = connect_fake(*sender, transport, plain);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Unsupported);
}

TEST(HostTransfer, AResizeRemakesTheHostSlotsWithTheNewPitch) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver = connect_fake(*sender, transport, host_receiver());
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(write_frame(*sender));
  expect_frame(*receiver, 1);
  ASSERT_TRUE(sender->resize(small_desc(100, 7, TextureFormat::Rgba16Float)));
  ASSERT_TRUE(write_frame(*sender));
  auto lease = receiver->acquire(kWait);
  ASSERT_TRUE(lease) << lease.error().to_string();
  EXPECT_EQ(receiver->descriptor(), small_desc(100, 7, TextureFormat::Rgba16Float));
  EXPECT_TRUE(holds_pattern(*lease));
  EXPECT_EQ(control->host_slots, control->slot_count);
}

TEST(HostTransfer, DepthFormatsAreNotCarriedToTheHost) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  TextureDescriptor depth = small_desc(8, 4, TextureFormat::Depth32Float);
  depth.usage = TextureUsage::DepthStencilAttachment | TextureUsage::TransferSrc;
  auto sender = publish_fake(transport, control, depth);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_fake(*sender, transport, host_receiver());
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::Unsupported);
  EXPECT_EQ(control->host_slots, 0u);
}

}  // namespace
}  // namespace geyser::channel::test
