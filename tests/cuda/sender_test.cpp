// cuda::Sender: frames written by CUDA (cuda::upload on the sender's stream) read by a
// vulkan::Receiver (read back and compared byte for byte) and by a cuda::Receiver (checked
// by the pattern kernel), 1,000 frames at 1920x1080 in both sync modes; connections that
// come and go leave no descriptor. Needs a CUDA driver and a Vulkan device of the same GPU
// (skipped otherwise).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "cuda_fixture.hpp"
#include "geyser/cuda/pattern_check.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/cuda/sender.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "support/private_dir.hpp"
#include "support/process_stats.hpp"

namespace geyser::cuda::test {
namespace {

using namespace std::chrono_literals;
using geyser::test::Succeeds;

constexpr std::uint64_t kFrames = 1000;

class CudaSenderTest : public CudaVulkanTest {
 protected:
  void SetUp() override {
    CudaVulkanTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp";
  }
  void TearDown() override { ::unsetenv("GEYSER_SYNC"); }
  [[nodiscard]] channel::SenderOptions sender_options() const {
    channel::SenderOptions options;
    options.runtime_dir = dir_.path();
    return options;
  }
  [[nodiscard]] channel::ReceiverOptions receiver_options() const {
    channel::ReceiverOptions options;
    options.runtime_dir = dir_.path();
    return options;
  }
  geyser::test::PrivateDir dir_{"geyser-cuda-sender"};
};

class CudaSenderModes : public CudaSenderTest, public testing::WithParamInterface<SyncMode> {
 protected:
  void SetUp() override {
    CudaSenderTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(::setenv("GEYSER_SYNC", std::string(to_string(GetParam())).c_str(), 1), 0);
  }
};

TEST_P(CudaSenderModes, VulkanReceiverReadsEveryFrameCudaWrote) {
  const TextureDescriptor desc{1920, 1080};
  auto sender = Sender::publish(context(), "cuda-to-vk", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto receiver = geyser::test::connect_while_polling(
      [&] { return sender->poll(5ms); },
      [&] { return vulkan::Receiver::connect(device(), "cuda-to-vk", 5s, receiver_options()); });
  ASSERT_TRUE(Succeeds(receiver));
  EXPECT_EQ(receiver->stats().sync_mode, GetParam());
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  for (std::uint64_t n = 1; n <= kFrames; ++n) {
    fill_test_pattern(pixels, desc.width, desc.height, 4, n);
    auto written = sender->write(pixels, 2s);
    ASSERT_TRUE(Succeeds(written));
    ASSERT_EQ(*written, n);
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    ASSERT_EQ(frame->frame, n);
    ASSERT_TRUE(geyser::test::HasPattern(*frame->texture, n)) << "frame " << n;
    ASSERT_TRUE(Succeeds(receiver->release()));
  }
}

TEST_P(CudaSenderModes, CudaReceiverChecksEveryFrameOnTheGpu) {
  const TextureDescriptor desc{1920, 1080};
  auto sender = Sender::publish(context(), "cuda-to-cuda", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto checker = PatternChecker::create(context());
  ASSERT_TRUE(Succeeds(checker));
  auto receiver = geyser::test::connect_while_polling(
      [&] { return sender->poll(5ms); },
      [&] { return Receiver::connect(context(), "cuda-to-cuda", 5s, receiver_options()); });
  ASSERT_TRUE(Succeeds(receiver));
  EXPECT_EQ(receiver->stats().sync_mode, GetParam());
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  for (std::uint64_t n = 1; n <= kFrames; ++n) {
    fill_test_pattern(pixels, desc.width, desc.height, 4, n);
    ASSERT_TRUE(Succeeds(sender->write(pixels, 2s)));
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    ASSERT_EQ(frame->frame, n);
    const auto checked =
        checker->check(frame->surface, frame->descriptor, frame->frame, frame->stream);
    ASSERT_TRUE(Succeeds(checked));
    ASSERT_TRUE(checked->ok()) << "frame " << n << ": " << checked->to_string();
    ASSERT_TRUE(Succeeds(receiver->release()));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CudaSenderModes, testing::Values(SyncMode::Gpu, SyncMode::Cpu),
                         [](const auto& p) { return std::string(to_string(p.param)); });

// 100 receivers connect, take a frame and leave: descriptors back to the count after the
// first (which loads what stays loaded).
TEST_F(CudaSenderTest, HundredConnectionsLeaveNoDescriptorBehind) {
  const TextureDescriptor desc{256, 128};
  auto sender = Sender::publish(context(), "cuda-cycles", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto checker = PatternChecker::create(context());
  ASSERT_TRUE(Succeeds(checker));
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  std::uint64_t n = 0;
  const auto cycle = [&] {
    auto receiver = geyser::test::connect_while_polling(
        [&] { return sender->poll(5ms); },
        [&] { return Receiver::connect(context(), "cuda-cycles", 5s, receiver_options()); });
    ASSERT_TRUE(Succeeds(receiver));
    fill_test_pattern(pixels, desc.width, desc.height, 4, ++n);
    auto written = sender->write(pixels, 2s);
    ASSERT_TRUE(Succeeds(written));
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    const auto checked =
        checker->check(frame->surface, frame->descriptor, frame->frame, frame->stream);
    ASSERT_TRUE(Succeeds(checked));
    EXPECT_TRUE(checked->ok()) << checked->to_string();
  };
  cycle();
  ASSERT_FALSE(HasFatalFailure());
  for (int i = 0; i < 10; ++i) (void)sender->poll(5ms);
  const std::size_t baseline = geyser::test::open_fd_count();
  for (int i = 0; i < 100 && !HasFatalFailure(); ++i) cycle();
  for (int i = 0; i < 20; ++i) (void)sender->poll(5ms);  // reads the goodbyes
  EXPECT_EQ(geyser::test::open_fd_count(), baseline) << geyser::test::describe_open_fds();
}

}  // namespace
}  // namespace geyser::cuda::test
