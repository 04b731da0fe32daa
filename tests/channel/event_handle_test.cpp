// The native event handles of vulkan::Sender and vulkan::Receiver, driven the way a GLib,
// Qt or asio main loop drives them: poll() the handle, call poll() or acquire() when it is
// readable. Real Unix sockets and lavapipe; the receiver is on a second device.
#include <poll.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;

// True when `handle` is readable within `timeout_ms`.
bool readable(NativeHandle handle, int timeout_ms = 0) {
  pollfd fd{handle, POLLIN, 0};
  return ::poll(&fd, 1, timeout_ms) == 1 && (fd.revents & POLLIN) != 0;
}

class EventHandleTest : public TwoDeviceTest {
 protected:
  void SetUp() override {
    TwoDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char pattern[] = "/tmp/geyser-event-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
    desc_.width = 32;
    desc_.height = 16;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // A receiver on device 1, connected while this thread drives the sender from its handle.
  std::optional<vulkan::Receiver> connect_driving(vulkan::Sender& sender) {
    channel::ReceiverOptions options;
    options.runtime_dir = dir_;
    std::optional<Result<vulkan::Receiver>> connected;
    std::thread thread(
        [&] { connected = vulkan::Receiver::connect(device(1), "evt", 5s, options); });
    bool woke = false;
    for (int i = 0; i < 100 && !connected; ++i) {
      if (readable(sender.native_event_handle(), 50)) {
        woke = true;
        EXPECT_TRUE(sender.poll(0ms));
      }
    }
    thread.join();
    EXPECT_TRUE(woke) << "the sender's handle never became readable for a connecting receiver";
    if (!connected || !*connected) {
      ADD_FAILURE() << "connect: " << (connected ? connected->error().to_string() : "no result");
      return std::nullopt;
    }
    return std::move(connected->value());
  }

  std::filesystem::path dir_;
  TextureDescriptor desc_;
};

TEST_F(EventHandleTest, HandlesWakeForConnectionsAndFramesAndAreQuietOtherwise) {
  channel::SenderOptions options;
  options.runtime_dir = dir_;
  auto sender = vulkan::Sender::publish(device(0), "evt", desc_, options);
  ASSERT_TRUE(sender) << sender.error().to_string();
  EXPECT_FALSE(readable(sender->native_event_handle())) << "nothing happened yet";

  auto receiver = connect_driving(*sender);
  ASSERT_TRUE(receiver);
  EXPECT_FALSE(readable(sender->native_event_handle())) << "poll() read everything";
  EXPECT_FALSE(readable(receiver->native_event_handle())) << "connect() read the description";

  ASSERT_TRUE(sender->write(pattern_bytes(desc_, 1), 1s));
  EXPECT_TRUE(readable(receiver->native_event_handle(), 1000)) << "a frame was presented";
  auto frame = receiver->acquire(0ms);
  ASSERT_TRUE(frame) << frame.error().to_string();
  EXPECT_EQ(frame->frame, 1u);
  EXPECT_TRUE(HasPattern(*frame->texture, 1));
  // The wake may outlive its frame by one acquire(0), which then says Timeout.
  if (readable(receiver->native_event_handle(), 20)) {
    auto spurious = receiver->acquire(0ms);
    ASSERT_FALSE(spurious) << "a frame nobody presented";
    EXPECT_EQ(spurious.error().code(), ErrorCode::Timeout);
  }
  EXPECT_FALSE(readable(receiver->native_event_handle(), 20)) << "acquire() read the frame";

  // Protocol v2: a release is a word on the receiver's page, no message, so the sender's
  // handle stays quiet; its acquire() finds the slot free.
  ASSERT_TRUE(receiver->release());
  EXPECT_FALSE(readable(sender->native_event_handle(), 20)) << "a release is no message";
  ASSERT_TRUE(sender->write(pattern_bytes(desc_, 2), 1s));
  ASSERT_TRUE(sender->write(pattern_bytes(desc_, 3), 1s));
  ASSERT_TRUE(sender->write(pattern_bytes(desc_, 4), 1s)) << "the released slot was not reused";
}

TEST_F(EventHandleTest, ReceiverHandleWakesWhenTheSenderLeaves) {
  channel::SenderOptions options;
  options.runtime_dir = dir_;
  auto sender = vulkan::Sender::publish(device(0), "evt", desc_, options);
  ASSERT_TRUE(sender) << sender.error().to_string();
  auto receiver = connect_driving(*sender);
  ASSERT_TRUE(receiver);
  const NativeHandle handle = receiver->native_event_handle();
  sender = tl::unexpected(Error(ErrorCode::Disconnected, "destroyed by the test"));
  EXPECT_TRUE(readable(handle, 1000)) << "the sender's goodbye and close";
  auto frame = receiver->acquire(0ms);
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().code(), ErrorCode::Disconnected);
  EXPECT_EQ(receiver->native_event_handle(), handle) << "the handle is stable";
  EXPECT_FALSE(readable(handle)) << "a disconnected receiver's handle is quiet";
}

}  // namespace
}  // namespace geyser::test
