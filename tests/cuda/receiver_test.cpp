// A vulkan::Sender channel read by cuda::Receiver, every frame checked by the pattern
// kernel, in both sync modes. Needs a CUDA driver and a Vulkan device of the same GPU
// (skipped otherwise).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ostream>
#include <string>
#include <thread>

#include "cuda_fixture.hpp"
#include "geyser/cuda/live_objects.hpp"
#include "geyser/cuda/pattern_check.hpp"
#include "geyser/cuda/receiver.hpp"
#include "pattern_sender.hpp"
#include "support/private_dir.hpp"

namespace geyser::cuda {
// Readable counts in failure messages.
inline void PrintTo(const LiveObjects& o, std::ostream* os) {
  *os << o.external_memories << " external memories, " << o.mipmapped_arrays << " arrays, "
      << o.surfaces << " surfaces, " << o.device_pointers << " device pointers, "
      << o.external_semaphores << " semaphores, " << o.streams << " streams, " << o.modules
      << " modules";
}
}  // namespace geyser::cuda

namespace geyser::cuda::test {
namespace {

using namespace std::chrono_literals;
using geyser::test::FailsWith;
using geyser::test::Succeeds;

constexpr std::uint64_t kFrames = 120;

// The fd count once it has stopped changing: the sender thread closes its side of a
// connection at its next poll, a moment after the receiver went away.
std::size_t settled_fd_count() {
  std::size_t count = geyser::test::open_fd_count();
  for (int same = 0, tries = 0; same < 10 && tries < 400; ++tries) {
    std::this_thread::sleep_for(5ms);
    const std::size_t now = geyser::test::open_fd_count();
    same = now == count ? same + 1 : 0;
    count = now;
  }
  return count;
}

class CudaReceiverTest : public CudaVulkanTest {
 protected:
  void SetUp() override {
    CudaVulkanTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp";
  }
  void TearDown() override { ::unsetenv("GEYSER_SYNC"); }
  [[nodiscard]] channel::ReceiverOptions receiver_options() const {
    channel::ReceiverOptions options;
    options.runtime_dir = dir_.path();
    return options;
  }

  // Reads `count` frames, checking every one on the GPU; returns the last frame number.
  void read_and_check(Receiver& receiver, const PatternChecker& checker, std::uint64_t count) {
    std::uint64_t last = 0;
    for (std::uint64_t read = 0; read < count;) {
      auto frame = receiver.acquire(2s);
      if (!frame && frame.error().code() == ErrorCode::Timeout) continue;
      ASSERT_TRUE(Succeeds(frame)) << "after " << read << " frames";
      EXPECT_GT(frame->frame, last) << "frames must rise";
      last = frame->frame;
      const auto checked =
          checker.check(frame->surface, frame->descriptor, frame->frame, frame->stream);
      ASSERT_TRUE(Succeeds(checked));
      EXPECT_TRUE(checked->ok()) << "frame " << frame->frame << ": " << checked->to_string();
      ASSERT_TRUE(Succeeds(receiver.release()));
      ++read;
    }
  }

  geyser::test::PrivateDir dir_{"geyser-cuda-test"};
};

class CudaReceiverModes : public CudaReceiverTest, public testing::WithParamInterface<SyncMode> {};

TEST_P(CudaReceiverModes, EveryFrameOfAVulkanSenderChecksOutInCuda) {
  // The sender reads GEYSER_SYNC when the receiver says Hello; set before its thread runs.
  ASSERT_EQ(::setenv("GEYSER_SYNC", std::string(to_string(GetParam())).c_str(), 1), 0);
  const TextureDescriptor desc{1920, 1080};
  PatternSender sender(device(), "cuda-frames", desc, dir_.path());
  ASSERT_TRUE(sender.wait_published()) << sender.error().value_or("");
  auto checker = PatternChecker::create(context());
  ASSERT_TRUE(Succeeds(checker));
  auto receiver = Receiver::connect(context(), "cuda-frames", 5s, receiver_options());
  ASSERT_TRUE(Succeeds(receiver));
  read_and_check(*receiver, *checker, kFrames);
  EXPECT_EQ(receiver->stats().sync_mode, GetParam());
  EXPECT_EQ(receiver->descriptor(), desc);
  EXPECT_FALSE(sender.error()) << *sender.error();
}

INSTANTIATE_TEST_SUITE_P(Modes, CudaReceiverModes, testing::Values(SyncMode::Gpu, SyncMode::Cpu),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST_F(CudaReceiverTest, ConnectingAndDisconnectingLeavesNoDescriptorOrCudaObjectBehind) {
  PatternSender sender(device(), "cuda-cycles", TextureDescriptor{640, 360}, dir_.path());
  ASSERT_TRUE(sender.wait_published()) << sender.error().value_or("");
  auto checker = PatternChecker::create(context());
  ASSERT_TRUE(Succeeds(checker));
  const auto cycle = [&] {
    auto receiver = Receiver::connect(context(), "cuda-cycles", 5s, receiver_options());
    ASSERT_TRUE(Succeeds(receiver));
    read_and_check(*receiver, *checker, 3);
  };
  // The sender (a thread of this process) closes its end of a connection when it next
  // polls: counts are taken once it has, so that they hold no receiver's socket.
  const auto settled = [&] {
    EXPECT_TRUE(sender.wait_no_receivers(5s)) << sender.receivers() << " receivers left";
    return settled_fd_count();
  };
  cycle();  // the first connection loads what stays loaded (the Vulkan loader's listing)
  ASSERT_FALSE(HasFatalFailure());
  const std::size_t baseline = settled();
  const LiveObjects objects = live_objects();
  // Each connection imports the ring (memory, an array and a surface per slot, two
  // semaphores per slot in gpu mode) and makes a stream: 100 of them must give it all back.
  for (int i = 0; i < 100 && !HasFatalFailure(); ++i) cycle();
  EXPECT_EQ(settled(), baseline) << geyser::test::describe_open_fds();
  EXPECT_EQ(live_objects(), objects) << "CUDA objects before: " << testing::PrintToString(objects)
                                     << ", after: " << testing::PrintToString(live_objects());
}

TEST_F(CudaReceiverTest, NoSenderIsDisconnected) {
  EXPECT_TRUE(FailsWith(Receiver::connect(context(), "nobody", 200ms, receiver_options()),
                        ErrorCode::Disconnected));
}

}  // namespace
}  // namespace geyser::cuda::test
