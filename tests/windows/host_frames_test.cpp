// Host frames on Windows, under Wine: a host::Sender and a host::Receiver over the named pipe
// transport, with their frames in file-mapping sections and their waits on the frame board's
// and the CPU timelines' named events. In one process, and with the sender in a child
// process (geyser_host_send_peer.exe); every frame received is checked against the test
// pattern of its number.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "geyser/host/receiver.hpp"
#include "geyser/host/sender.hpp"
#include "host_frames_support.hpp"
#include "pipe_test_support.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;

// Empty when `frame` is frame `number`'s test pattern at the stream's size; why not otherwise.
std::string pattern_error(const host::HostFrame& frame, std::uint64_t number) {
  const TextureDescriptor desc = host_frames_desc();
  if (frame.width != desc.width || frame.height != desc.height) return "wrong size";
  const auto mismatch = check_test_pattern(frame.packed(), desc.width, desc.height, 4, number);
  return mismatch ? mismatch->to_string() : std::string();
}

class HostFramesWin32 : public ::testing::Test {
 protected:
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
  TempDir dir_;
};

TEST_F(HostFramesWin32, InOneProcessEveryFrameArrivesAsWritten) {
  const std::string name = unique_channel("host");
  auto sender = host::Sender::publish(name, host_frames_desc(), sender_options());
  ASSERT_TRUE(sender) << sender.error().to_string();
  std::atomic<bool> connected{false};
  std::thread pump([&] {
    while (!connected) (void)sender->poll(1ms);
  });
  auto receiver = host::Receiver::connect(name, 10s, receiver_options());
  connected = true;
  pump.join();
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  for (std::uint64_t frame = 1; frame <= 30; ++frame) {
    auto written = sender->write(host_frames_pattern(host_frames_desc(), frame), 2s);
    ASSERT_TRUE(written) << written.error().to_string();
    auto got = receiver->acquire(5s);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(got->frame, frame);
    EXPECT_EQ(pattern_error(*got, got->frame), "") << "frame " << got->frame;
    (void)sender->poll(0ms);
  }
  EXPECT_EQ(sender->stats().host_receivers, 1u);
}

TEST_F(HostFramesWin32, ASenderInAnotherProcessIsReadFrameByFrame) {
  constexpr std::uint64_t kFrames = 200;
  const std::string name = unique_channel("hostp");
  PeerProcess peer(
      L"geyser_host_send_peer.exe",
      {dir_.path().wstring(), std::wstring(name.begin(), name.end()), std::to_wstring(kFrames)});
  ASSERT_TRUE(peer.started());
  Result<host::Receiver> receiver = fail(ErrorCode::Disconnected, "not connected");
  for (int attempt = 0; attempt < 40 && !receiver; ++attempt) {
    receiver = host::Receiver::connect(name, 500ms, receiver_options());
  }
  ASSERT_TRUE(receiver) << receiver.error().to_string();
  std::uint64_t received = 0;
  std::uint64_t last = 0;
  while (last < kFrames) {
    auto got = receiver->acquire(5s);
    ASSERT_TRUE(got) << "after frame " << last << ": " << got.error().to_string();
    ASSERT_GT(got->frame, last);
    EXPECT_EQ(pattern_error(*got, got->frame), "") << "frame " << got->frame;
    last = got->frame;
    ++received;
  }
  std::printf("received %llu of %llu frames, each checked\n",
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(kFrames));
  EXPECT_GE(received, kFrames / 4) << "frames come 100 a second; a few may be skipped";
  receiver = fail(ErrorCode::Disconnected, "closed");  // the peer waits for us to go
  EXPECT_EQ(peer.wait(30000), 0u);
}

}  // namespace
}  // namespace geyser::test
