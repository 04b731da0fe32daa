// host::Sender in one process (docs/host-frames.md, "The host sender"): a sender with no GPU
// whose frames every receiver takes as host frames. host::Receiver checks every frame's
// pixels, through resizes; a Vulkan receiver gets host frames and uploads them; one that
// takes zero-copy only is refused with DeviceMismatch, naming why; what host frames cannot
// carry is refused at publish. Each test has its own runtime directory.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "geyser/host/receiver.hpp"
#include "geyser/host/sender.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/transfer.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "support/private_dir.hpp"
#include "support/process_stats.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;

TextureDescriptor rgba8(std::uint32_t width, std::uint32_t height) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = TextureFormat::Rgba8Unorm;
  return desc;
}

std::uint32_t texel_size(const TextureDescriptor& desc) {
  return format_info(desc.format).texel_size;
}

// The test pattern of `frame`, tightly packed.
std::vector<std::uint8_t> pattern(const TextureDescriptor& desc, std::uint64_t frame) {
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  fill_test_pattern(pixels, desc.width, desc.height, texel_size(desc), frame);
  return pixels;
}

class HostSender : public testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  channel::SenderOptions sender_options() const {
    channel::SenderOptions options;
    options.runtime_dir = dir_.path();
    return options;
  }
  channel::ReceiverOptions receiver_options() const {
    channel::ReceiverOptions options;
    options.runtime_dir = dir_.path();
    return options;
  }
  Result<host::Receiver> connect_host(host::Sender& sender) {
    return connect_while_polling(
        [&] { return sender.poll(1ms); },
        [&] { return host::Receiver::connect(sender.name(), 5s, receiver_options()); });
  }
  // Writes frame `frame` and checks that `receiver` gets its pixels at the sender's size.
  void expect_round_trip(host::Sender& sender, host::Receiver& receiver, std::uint64_t frame) {
    const TextureDescriptor& desc = sender.descriptor();
    auto written = sender.write(pattern(desc, frame), 1s);
    ASSERT_TRUE(written) << written.error().to_string();
    ASSERT_EQ(*written, frame);
    auto got = receiver.acquire(2s);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(got->frame, frame);
    EXPECT_EQ(got->width, desc.width);
    EXPECT_EQ(got->height, desc.height);
    EXPECT_EQ(got->row_pitch, host_row_pitch(desc.width, desc.format));
    const auto mismatch =
        check_test_pattern(got->packed(), desc.width, desc.height, texel_size(desc), frame);
    EXPECT_FALSE(mismatch) << "frame " << frame << ": " << mismatch->to_string();
  }

  PrivateDir dir_{"geyser-host-sender"};
};

// 333 RGBA8 texels are 1332 bytes: the host row pitch (1536) pads every row the memcpy
// writes, so a copy that ignored it would show.
TEST_F(HostSender, HostReceiverChecksEveryFrame) {
  auto sender = host::Sender::publish("plain", rgba8(333, 77), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_host(*sender);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().transfer, Transfer::Host);
  EXPECT_EQ(receiver->stats().sync_mode, SyncMode::Cpu);
  for (std::uint64_t frame = 1; frame <= 60; ++frame) {
    expect_round_trip(*sender, *receiver, frame);
  }
  EXPECT_EQ(sender->stats().host_receivers, 1u);
  EXPECT_EQ(receiver->stats().frames_skipped, 0u);
}

// acquire() hands out the slot's own bytes: a software renderer draws in place.
TEST_F(HostSender, FramesDrawnInPlaceArrive) {
  auto sender = host::Sender::publish("inplace", rgba8(64, 48), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_host(*sender);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  for (int i = 0; i < 10; ++i) {
    auto slot = sender->acquire(1s);
    ASSERT_TRUE(slot) << slot.error().to_string();
    ASSERT_EQ(slot->row_pitch, 64u * 4u);
    ASSERT_EQ(slot->bytes.size(), std::size_t{64} * 48 * 4);
    const std::span<std::uint8_t> texels(reinterpret_cast<std::uint8_t*>(slot->bytes.data()),
                                         slot->bytes.size());
    fill_test_pattern(texels, 64, 48, 4, slot->frame);
    const std::uint8_t tag[] = {7, static_cast<std::uint8_t>(slot->frame)};
    ASSERT_TRUE(sender->present(*slot, tag));
    auto got = receiver->acquire(2s);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(got->frame, slot->frame);
    EXPECT_EQ(got->metadata, std::vector<std::uint8_t>(std::begin(tag), std::end(tag)));
    const auto mismatch = check_test_pattern(got->packed(), 64, 48, 4, got->frame);
    EXPECT_FALSE(mismatch) << mismatch->to_string();
  }
}

// A resize is a new generation: the receiver re-maps and every frame after it has the new
// size, format and pitch.
TEST_F(HostSender, ResizeRemapsTheReceiver) {
  auto sender = host::Sender::publish("resized", rgba8(96, 32), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_host(*sender);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  std::uint64_t frame = 1;
  for (; frame <= 5; ++frame) expect_round_trip(*sender, *receiver, frame);
  const std::uint64_t generation = sender->stats().generation;
  TextureDescriptor wide = rgba8(1000, 9);
  wide.format = TextureFormat::Rgba16Float;
  ASSERT_TRUE(sender->resize(wide));
  EXPECT_EQ(sender->stats().generation, generation + 1);
  for (; frame <= 10; ++frame) expect_round_trip(*sender, *receiver, frame);
  EXPECT_EQ(receiver->descriptor().format, TextureFormat::Rgba16Float);
  ASSERT_TRUE(sender->resize(rgba8(17, 300)));
  for (; frame <= 15; ++frame) expect_round_trip(*sender, *receiver, frame);
}

TEST_F(HostSender, RefusesWhatHostFramesCannotCarry) {
  TextureDescriptor depth = rgba8(16, 16);
  depth.format = TextureFormat::Depth32Float;
  depth.usage = TextureUsage::DepthStencilAttachment | TextureUsage::Sampled;
  auto refused = host::Sender::publish("depth", depth, sender_options());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Unsupported);
  EXPECT_NE(refused.error().message().find("colour formats"), std::string::npos)
      << refused.error().message();

  channel::SenderOptions linear = sender_options();
  linear.tiling = Tiling::Linear;
  auto tiled = host::Sender::publish("linear", rgba8(16, 16), linear);
  ASSERT_FALSE(tiled);
  EXPECT_EQ(tiled.error().code(), ErrorCode::Unsupported);

  auto sender = host::Sender::publish("sized", rgba8(16, 16), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  const std::vector<std::uint8_t> short_frame(16 * 16 * 4 - 1);
  auto written = sender->write(short_frame, 1s);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::Validation);
}

// Receivers that come and go leave no descriptor behind in the sender's process: the host
// ring is freed with the last of them.
TEST_F(HostSender, DescriptorsReturnToBaselineAfterReceiversLeave) {
  auto sender = host::Sender::publish("fds", rgba8(64, 64), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  ASSERT_TRUE(sender->write(pattern(sender->descriptor(), 1), 1s));
  const std::size_t baseline = open_fd_count();
  for (int round = 0; round < 3; ++round) {
    auto receiver = connect_host(*sender);
    ASSERT_TRUE(receiver) << receiver.error().to_string();
    const std::uint64_t frame = sender->stats().frames + 1;
    expect_round_trip(*sender, *receiver, frame);
  }
  // The sender sees the receivers' closes at its next poll.
  for (int i = 0; i < 100 && sender->stats().receivers > 0; ++i) ASSERT_TRUE(sender->poll(10ms));
  EXPECT_EQ(sender->stats().receivers, 0u);
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

// GPU receivers: a Vulkan receiver on any device gets host frames (the sender's identity
// matches no device) and uploads them; one that takes zero-copy only is refused with
// DeviceMismatch saying the sender has host frames only, and the sender carries on.
class HostSenderToVulkan : public OneDeviceTest {
 protected:
  void SetUp() override {
    OneDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_FALSE(dir_.path().empty());
    receiver_options_.runtime_dir = dir_.path();
    channel::SenderOptions options;
    options.runtime_dir = dir_.path();
    auto sender = host::Sender::publish("gpu", rgba8(200, 50), options);
    ASSERT_TRUE(sender) << sender.error().to_string();
    sender_.emplace(std::move(sender).value());
  }
  Result<vulkan::Receiver> connect_vulkan(const channel::ReceiverOptions& options) {
    return connect_while_polling(
        [&] { return sender_->poll(1ms); },
        [&] { return vulkan::Receiver::connect(device(), "gpu", 5s, options); });
  }

  PrivateDir dir_{"geyser-host-sender-vk"};
  channel::ReceiverOptions receiver_options_;
  std::optional<host::Sender> sender_;
};

TEST_F(HostSenderToVulkan, VulkanReceiverGetsHostFramesAndUploadsThem) {
  auto receiver = connect_vulkan(receiver_options_);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  EXPECT_EQ(receiver->stats().transfer, Transfer::Host);
  const TextureDescriptor desc = sender_->descriptor();
  for (std::uint64_t frame = 1; frame <= 10; ++frame) {
    ASSERT_TRUE(sender_->write(pattern(desc, frame), 1s));
    auto got = receiver->acquire(5s);
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_EQ(got->frame, frame);
    auto pixels = vulkan::readback(*got->texture);
    ASSERT_TRUE(pixels) << pixels.error().to_string();
    const auto mismatch = check_test_pattern(*pixels, desc.width, desc.height, 4, frame);
    EXPECT_FALSE(mismatch) << "frame " << frame << ": " << mismatch->to_string();
  }
}

TEST_F(HostSenderToVulkan, ZeroCopyOnlyReceiverIsRefusedNamingHostFrames) {
  channel::ReceiverOptions strict = receiver_options_;
  strict.transfer = TransferRequest::Device;
  auto refused = connect_vulkan(strict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::DeviceMismatch);
  EXPECT_NE(refused.error().message().find("shares no device slots (host frames only)"),
            std::string::npos)
      << refused.error().message();
  // The sender is unharmed: a receiver that takes host frames connects and reads.
  auto receiver = connect_vulkan(receiver_options_);
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  ASSERT_TRUE(sender_->write(pattern(sender_->descriptor(), 1), 1s));
  auto got = receiver->acquire(5s);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->frame, 1u);
}

}  // namespace
}  // namespace geyser::test
