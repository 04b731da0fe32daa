// `geyser send --api host` (docs/host-frames.md, "The host sender"; docs/cli.md): a sender
// with no GPU, as a process of the real binary, read by `geyser recv --api host` and by a
// Vulkan receiver (which gets host frames and uploads them), every frame checked; a
// receiver that takes zero-copy only is refused, naming why; --device is a usage error; a
// host receiver in this process follows a sender killed with -9 and restarted, and its
// descriptors come back to what they were. Each test has its own runtime directory.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "geyser/host/receiver.hpp"
#include "geyser/test_pattern.hpp"
#include "process.hpp"
#include "support/process_stats.hpp"

namespace geyser::cli_test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class CliHostSender : public CliFixture {
 protected:
  // Publishes `name` from host memory at 60 fps; null (with a failure) when it did not.
  std::unique_ptr<Process> send_host(const std::string& name, const std::string& size) {
    auto sender = std::make_unique<Process>(
        std::vector<std::string>{"send", name, "--api", "host", "--size", size, "--fps", "60"},
        env_);
    const json entry = wait_for_channel(name);
    EXPECT_FALSE(entry.is_null()) << "the host sender did not publish: "
                                  << sender->stop(SIGINT, 10s).err;
    if (entry.is_null()) return nullptr;
    return sender;
  }
  // Runs `recv` with `args` and returns its JSON summary after checking it verified
  // `frames` frames with none bad, as host frames.
  json verified_recv(const std::vector<std::string>& args, int frames) {
    const Outcome r = geyser(args, 300s);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json summary = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(summary.is_discarded()) << r.out << r.err;
    if (summary.is_discarded()) return nullptr;
    EXPECT_EQ(summary["frames"], frames);
    EXPECT_EQ(summary["verified"], true);
    EXPECT_EQ(summary["bad"], 0);
    EXPECT_EQ(summary["transfer"], "host");
    return summary;
  }
};

// 333 RGBA8 texels are 1332 bytes: each host row is padded to 1536, so a copy that ignored
// the pitch would fail the check.
TEST_F(CliHostSender, HostRecvVerifiesEveryFrame) {
  auto sender = send_host("soft", "333x77");
  ASSERT_TRUE(sender);
  const json summary = verified_recv(
      {"recv", "soft", "--api", "host", "--verify", "--json", "--frames", "200", "--timeout", "60"},
      200);
  EXPECT_EQ(summary["api"], "host");
  EXPECT_EQ(summary["width"], 333);
  EXPECT_EQ(summary["height"], 77);
  EXPECT_EQ(sender->stop(SIGTERM, 30s).exit_code, 0);
}

// A Vulkan receiver (transfer auto) on any device is not on the host sender's "device": it
// gets host frames and uploads each into a texture of its own.
TEST_F(CliHostSender, VulkanRecvGetsHostFramesAndVerifies) {
  auto sender = send_host("upload", "320x180");
  ASSERT_TRUE(sender);
  const json summary = verified_recv({"recv", "upload", "--api", "vulkan", "--verify", "--json",
                                      "--frames", "60", "--timeout", "60"},
                                     60);
  EXPECT_EQ(summary["api"], "vulkan");
  EXPECT_EQ(sender->stop(SIGTERM, 30s).exit_code, 0);
}

// Zero-copy only: DeviceMismatch, saying the sender has host frames only; the sender carries
// on serving a host receiver after it.
TEST_F(CliHostSender, ForcedZeroCopyIsRefusedNamingHostFrames) {
  auto sender = send_host("strict", "64x64");
  ASSERT_TRUE(sender);
  const Outcome r =
      geyser({"recv", "strict", "--transfer", "device", "--frames", "1", "--timeout", "10"}, 60s);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.signal, 0) << "recv crashed: " << r.err;
  EXPECT_NE(r.err.find("DeviceMismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("host frames only"), std::string::npos) << r.err;
  verified_recv({"recv", "strict", "--api", "host", "--verify", "--json", "--frames", "20",
                 "--timeout", "60"},
                20);
  EXPECT_EQ(sender->stop(SIGTERM, 30s).exit_code, 0);
}

TEST_F(CliHostSender, DeviceIsAUsageError) {
  const Outcome o = geyser({"send", "x", "--api", "host", "--device", "0"}, 30s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("--api host uses no GPU"), std::string::npos) << o.err;
  EXPECT_EQ(channel_entry("x"), nullptr) << "nothing published";
}

// Acquires until a frame of connection `connection` comes (at most `timeout`), checking it.
std::optional<host::HostFrame> frame_of(host::Receiver& receiver, std::uint64_t connection,
                                        std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = receiver.acquire(200ms);
    if (frame && frame->connection == connection) return *frame;
  }
  return std::nullopt;
}

void expect_pattern(const host::HostFrame& frame) {
  const auto mismatch =
      check_test_pattern(frame.packed(), frame.width, frame.height, 4, frame.frame);
  EXPECT_FALSE(mismatch) << "frame " << frame.frame << " of connection " << frame.connection << ": "
                         << mismatch->to_string();
}

// Reads 20 frames of connection `connection`, every one checked, then releases the last.
void read_twenty(host::Receiver& receiver, std::uint64_t connection) {
  for (int i = 0; i < 20; ++i) {
    const auto frame = frame_of(receiver, connection, 30s);
    ASSERT_TRUE(frame) << "no frame " << i << " of connection " << connection;
    expect_pattern(*frame);
  }
  ASSERT_TRUE(receiver.release());
}

TEST_F(CliHostSender, ReceiverFollowsAKilledSenderWithDescriptorsBackToBaseline) {
  const std::size_t baseline = test::open_fd_count();
  {
    auto first = send_host("phoenix", "128x64");
    ASSERT_TRUE(first);
    channel::ReceiverOptions options;
    options.runtime_dir = dir_;
    auto receiver = host::Receiver::connect("phoenix", 30s, options);
    ASSERT_TRUE(receiver) << receiver.error().to_string();
    read_twenty(*receiver, 1);
    // One sender process (its two pipes) and one connection, holding nothing.
    const std::size_t connected = test::open_fd_count();

    EXPECT_EQ(first->stop(SIGKILL, 30s).signal, SIGKILL);
    first.reset();
    Result<host::HostFrame> gone = fail(ErrorCode::Internal, "not acquired");
    for (int i = 0; i < 100; ++i) {
      gone = receiver->acquire(100ms);
      if (!gone && gone.error().code() == ErrorCode::Disconnected) break;
    }
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected) << gone.error().to_string();

    auto second = send_host("phoenix", "128x64");
    ASSERT_TRUE(second);
    read_twenty(*receiver, 2);
    EXPECT_EQ(receiver->stats().reconnects, 1u);
    EXPECT_EQ(test::open_fd_count(), connected)
        << "after the reconnect, with the same sender and ring as before: "
        << test::describe_open_fds();
    EXPECT_EQ(second->stop(SIGTERM, 30s).exit_code, 0);
  }
  EXPECT_EQ(test::open_fd_count(), baseline) << test::describe_open_fds();
}

}  // namespace
}  // namespace geyser::cli_test
