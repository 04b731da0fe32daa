// Channels with OpenGL ends (label opengl): a Vulkan sender read by opengl::Receiver, an
// opengl::Sender read by vulkan::Receiver and by opengl::Receiver, in one process, every
// pixel of every frame checked on the other side. Between processes: tests/cli
// (geyser send/recv --api opengl). On llvmpipe the channels run in `cpu` mode (no GL
// semaphores); on NVIDIA in `gpu` mode with GL_EXT_semaphore_fd.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "channel_core/fake_backend.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/opengl/receiver.hpp"
#include "geyser/opengl/semaphore.hpp"
#include "geyser/opengl/sender.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "gl_fixture.hpp"
#include "support/private_dir.hpp"
#include "support/process_stats.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;

constexpr int kFrames = 200;

// A private runtime directory per test.
class GlChannelTest : public GlImportTest {
 protected:
  void SetUp() override {
    GlImportTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp";
  }

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

  // Runs `connect` on another thread while this one answers it with `poll` (for an end
  // whose GL context is current here).
  template <typename T>
  static std::optional<T> connect_elsewhere(const std::function<Result<void>()>& poll,
                                            const std::function<Result<T>()>& connect) {
    std::optional<Result<T>> connected;
    std::atomic<bool> done{false};
    std::thread thread([&] {
      connected = connect();
      done = true;
    });
    while (!done) EXPECT_TRUE(poll());
    thread.join();
    if (!*connected) {
      ADD_FAILURE() << "connect: " << connected->error().to_string();
      return std::nullopt;
    }
    return std::move(connected->value());
  }

  PrivateDir dir_{"geyser-gl-channel"};
};

TextureDescriptor drawable(std::uint32_t width, std::uint32_t height, TextureFormat format) {
  TextureDescriptor desc = gl_descriptor(width, height, format);
  desc.usage = desc.usage | TextureUsage::ColorAttachment;
  return desc;
}

// The formats the channels are shown with: 8-bit, 16-bit float and single-channel.
const TextureFormat kFormats[] = {TextureFormat::Rgba8Unorm, TextureFormat::Rgba16Float,
                                  TextureFormat::R8Unorm};

class GlChannelFormatTest : public GlChannelTest,
                            public testing::WithParamInterface<TextureFormat> {
 protected:
  void SetUp() override {
    GlChannelTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const TextureDescriptor desc = drawable(64, 48, GetParam());
    const vulkan::FormatCapability cap = manager().query_format(desc.format);
    if (!opengl::gl_format(desc.format) || !cap.exportable || !has_all(cap.usages, desc.usage)) {
      GTEST_SKIP() << device().name() << " or GL cannot share " << to_string(desc.format)
                   << " for drawing and copies";
    }
  }
};

// Vulkan → GL: 200 frames, each read back through GL, byte for byte.
TEST_P(GlChannelFormatTest, VulkanSenderToGlReceiver) {
  const TextureDescriptor desc = drawable(64, 48, GetParam());
  auto sender = vulkan::Sender::publish(device(), "vk-to-gl", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto receiver = connect_while_polling(
      [&] { return sender->poll(10ms); },
      [&] { return opengl::Receiver::connect("vk-to-gl", 5s, receiver_options()); });
  ASSERT_TRUE(Succeeds(receiver));
  const SyncMode expected = opengl::can_import_timeline_semaphores() && device().has_semaphore_fd()
                                ? SyncMode::Gpu
                                : SyncMode::Cpu;
  EXPECT_EQ(receiver->stats().sync_mode, expected);
  for (int i = 1; i <= kFrames; ++i) {
    auto written = sender->write(pattern_bytes(desc, i), 2s);
    ASSERT_TRUE(Succeeds(written));
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    ASSERT_EQ(frame->frame, *written);
    ASSERT_NE(frame->texture, 0u);
    ASSERT_TRUE(GlHasPattern(*frame->gl, *written)) << "frame " << i;
    ASSERT_TRUE(Succeeds(receiver->release()));
  }
  EXPECT_EQ(receiver->stats().frames_acquired, static_cast<std::uint64_t>(kFrames));
}

// GL → Vulkan: the GL sender writes each frame through GL; the Vulkan receiver reads it.
TEST_P(GlChannelFormatTest, GlSenderToVulkanReceiver) {
  const TextureDescriptor desc = drawable(64, 48, GetParam());
  auto sender = opengl::Sender::publish("gl-to-vk", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto receiver = connect_elsewhere<vulkan::Receiver>(
      [&] { return sender->poll(10ms); },
      [&] { return vulkan::Receiver::connect(device(), "gl-to-vk", 5s, receiver_options()); });
  ASSERT_TRUE(receiver);
  for (int i = 1; i <= kFrames; ++i) {
    auto written = sender->write(pattern_bytes(desc, i), 2s);
    ASSERT_TRUE(Succeeds(written));
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    ASSERT_EQ(frame->frame, *written);
    ASSERT_TRUE(HasPattern(*frame->texture, *written)) << "frame " << i;
    ASSERT_TRUE(Succeeds(receiver->release()));
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, GlChannelFormatTest, testing::ValuesIn(kFormats), FormatName());

// GL → GL between two contexts (two threads, as two applications would be): the
// receiver's context imports the memory the sender's context draws into.
TEST_F(GlChannelTest, GlSenderToGlReceiverInAnotherContext) {
  constexpr std::uint64_t kGlFrames = 50;
  const TextureDescriptor desc = drawable(40, 30, TextureFormat::Rgba8Unorm);
  auto sender = opengl::Sender::publish("gl-to-gl", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> checked{0};  // the last frame the receiver found correct
  std::string failure;
  std::thread receiving([&] {
    auto own = opengl::HeadlessContext::create();
    if (!own) {
      failure = "second context: " + own.error().to_string();
      connected = true;
      return;
    }
    auto receiver = opengl::Receiver::connect("gl-to-gl", 5s, receiver_options());
    connected = true;
    if (!receiver) {
      failure = "connect: " + receiver.error().to_string();
      return;
    }
    while (checked < kGlFrames) {
      auto frame = receiver->acquire(5s);
      if (!frame) {
        failure = "acquire: " + frame.error().to_string();
        return;
      }
      if (auto ok = GlHasPattern(*frame->gl, frame->frame); !ok) {
        failure = ok.message();
        return;
      }
      (void)receiver->release();
      checked = frame->frame;
    }
  });
  while (!connected) ASSERT_TRUE(Succeeds(sender->poll(10ms)));
  for (std::uint64_t i = 1; i <= kGlFrames && failure.empty(); ++i) {
    auto slot = sender->acquire(5s);
    ASSERT_TRUE(Succeeds(slot));
    ASSERT_TRUE(Succeeds(opengl::write_pixels(*slot->gl, pattern_bytes(desc, slot->frame))));
    ASSERT_TRUE(Succeeds(sender->present(*slot)));
    // Lockstep, so that every frame is read: the next one once this one was checked.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (checked < slot->frame && failure.empty() &&
           std::chrono::steady_clock::now() < deadline) {
      (void)sender->poll(1ms);
    }
  }
  receiving.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(checked, kGlFrames);
  ASSERT_TRUE(Succeeds(context().make_current()));
}

// The GL sender's hidden Vulkan device is the context's device.
TEST_F(GlChannelTest, GlSenderAllocatesOnTheContextsDevice) {
  auto sender =
      opengl::Sender::publish("twin", drawable(8, 8, TextureFormat::Rgba8Unorm), sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto gl = opengl::current_identity();
  ASSERT_TRUE(Succeeds(gl));
  EXPECT_TRUE(sender->core().backend().identity().compatible_with(*gl));
  EXPECT_TRUE(context().is_current()) << "publishing made another context current";
  EXPECT_FALSE(sender->vulkan_device_name().empty());
}

// Connecting and leaving 20 times, with frames, leaves no descriptor behind.
TEST_F(GlChannelTest, ReceiversComingAndGoingLeaveNoDescriptors) {
  const TextureDescriptor desc = drawable(32, 32, TextureFormat::Rgba8Unorm);
  auto sender = vulkan::Sender::publish(device(), "fds", desc, sender_options());
  ASSERT_TRUE(Succeeds(sender));
  auto cycle = [&](std::uint64_t n) {
    auto receiver = connect_while_polling(
        [&] { return sender->poll(10ms); },
        [&] { return opengl::Receiver::connect("fds", 5s, receiver_options()); });
    ASSERT_TRUE(Succeeds(receiver));
    auto written = sender->write(pattern_bytes(desc, n), 2s);
    ASSERT_TRUE(Succeeds(written));
    auto frame = receiver->acquire(2s);
    ASSERT_TRUE(Succeeds(frame));
    EXPECT_TRUE(GlHasPattern(*frame->gl, *written));
  };
  cycle(1);  // warm-up: driver files opened for good
  ASSERT_TRUE(Succeeds(sender->poll(50ms)));
  const std::size_t baseline = open_fd_count();
  for (std::uint64_t n = 2; n <= 21; ++n) {
    cycle(n);
    if (HasFatalFailure()) return;
  }
  for (int i = 0; i < 10; ++i) (void)sender->poll(10ms);  // reads the goodbyes
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

// A sender on another device (a fake backend with a UUID no driver has): the GL receiver
// is refused with DeviceMismatch before it imports anything, and the sender carries on.
TEST_F(GlChannelTest, SenderOfAnotherDeviceIsDeviceMismatch) {
  auto control = std::make_shared<channel::test::FakeSenderControl>();
  control->identity = channel::test::fake_identity(9);
  auto sender = channel::SenderCore::publish(
      std::make_unique<channel::test::FakeSenderBackend>(control), "elsewhere",
      drawable(16, 16, TextureFormat::Rgba8Unorm), sender_options());
  ASSERT_TRUE(Succeeds(sender));
  const std::size_t fds = open_fd_count();
  auto receiver = connect_while_polling(
      [&] { return sender->poll(10ms); },
      [&] { return opengl::Receiver::connect("elsewhere", 5s, receiver_options()); });
  ASSERT_TRUE(FailsWith(receiver, ErrorCode::DeviceMismatch));
  EXPECT_NE(receiver.error().message().find(to_string(control->identity.device_uuid)),
            std::string::npos)
      << receiver.error().to_string();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Succeeds(sender->poll(10ms)));
  EXPECT_EQ(open_fd_count(), fds) << describe_open_fds();
  EXPECT_EQ(control->violations, 0) << control->last_violation;
}

TEST_F(GlChannelTest, ReceiverWithoutAContextIsRefused) {
  ASSERT_TRUE(Succeeds(context().make_current()));
  std::optional<Result<opengl::Receiver>> connected;
  std::thread([&] {
    connected = opengl::Receiver::connect("none", 10ms, receiver_options());
  }).join();
  EXPECT_TRUE(FailsWith(*connected, ErrorCode::Validation));
  std::optional<Result<opengl::Sender>> published;
  std::thread([&] {
    published = opengl::Sender::publish("none", drawable(8, 8, TextureFormat::Rgba8Unorm),
                                        sender_options());
  }).join();
  EXPECT_TRUE(FailsWith(*published, ErrorCode::Validation));
}

}  // namespace
}  // namespace geyser::test
