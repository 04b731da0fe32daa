// Host frames through the `geyser` command (docs/host-frames.md, docs/cli.md): `geyser recv
// --api host` and `--transfer host` as separate processes of the real binary, beside
// zero-copy receivers, with receivers that die or stop, and the sender's memory before,
// during and after. Each test has its own runtime directory (GEYSER_RUNTIME_DIR, mkdtemp).
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "geyser/test_pattern.hpp"
#include "png_decode.hpp"
#include "process.hpp"

namespace geyser::cli_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// VmRSS of process `pid` in KiB (/proc/PID/status); nullopt when it cannot be read.
std::optional<std::uint64_t> rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::uint64_t kib = 0;
      if (fields >> kib) return kib;
    }
  }
  return std::nullopt;
}

class CliHost : public CliFixture {
 protected:
  // A host receiver this machine cannot have (a device without VK_EXT_external_memory_host)
  // says Unsupported: the test skips then.
  static bool unsupported(const Outcome& o) {
    return o.exit_code != 0 && o.err.find("Unsupported") != std::string::npos;
  }
};

// Checks a decoded PNG against the test pattern of `frame`.
void expect_pattern(const DecodedPng& png, std::uint64_t frame) {
  ASSERT_EQ(png.rgba.size(), std::size_t{png.width} * png.height * 4);
  const auto mismatch = check_test_pattern(png.rgba, png.width, png.height, 4, frame);
  EXPECT_FALSE(mismatch.has_value()) << "frame " << frame << ": " << mismatch->to_string();
}

struct Stream {
  std::string size;
  std::uint32_t width;
  std::uint32_t height;
  std::string format;
};

// gtest prints it in test listings (and so in ctest's names).
void PrintTo(const Stream& s, std::ostream* out) {
  *out << s.size << ' ' << s.format;
}

class CliHostStreams : public CliHost, public testing::WithParamInterface<Stream> {};

// recv --api host checks 200 frames and writes the newest as a PNG (8-bit formats only:
// recv refuses --png for the others) whose texels are the test pattern of its frame.
TEST_P(CliHostStreams, HostRecvVerifiesEveryFrameAndWritesAPng) {
  const Stream& s = GetParam();
  Process sender({"send", "hosted", "--size", s.size, "--format", s.format, "--fps", "60"}, env_);
  ASSERT_FALSE(wait_for_channel("hosted").is_null()) << "the sender did not publish";
  const bool png = s.format == "Rgba8Unorm";
  const std::string file = path("host.png");
  std::vector<std::string> args{"recv",   "hosted",   "--api", "host",      "--verify",
                                "--json", "--frames", "200",   "--timeout", "60"};
  if (png) {
    args.emplace_back("--png");
    args.push_back(file);
  }
  const Outcome r = geyser(args, 300s);
  if (unsupported(r)) GTEST_SKIP() << "no host frames here: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], 200);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["transfer"], "host");
  EXPECT_EQ(summary["api"], "host");
  EXPECT_EQ(summary["device"], "host memory");
  EXPECT_EQ(summary["width"], s.width);
  EXPECT_EQ(summary["height"], s.height);
  EXPECT_EQ(summary["format"], s.format);
  if (png) {
    EXPECT_EQ(summary["png"], file);
    const auto decoded = decode_png(file);
    ASSERT_TRUE(decoded.has_value()) << file;
    EXPECT_EQ(decoded->width, s.width);
    EXPECT_EQ(decoded->height, s.height);
    expect_pattern(*decoded, summary["last_frame"].get<std::uint64_t>());
  }
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, CliHostStreams,
                         testing::Values(Stream{"1920x1080", 1920, 1080, "Rgba8Unorm"},
                                         Stream{"333x77", 333, 77, "Rgba8Unorm"},
                                         Stream{"1920x1080", 1920, 1080, "Rgba16Float"},
                                         Stream{"333x77", 333, 77, "Rgba16Float"}),
                         [](const testing::TestParamInfo<Stream>& param) {
                           std::string name = param.param.size + "_" + param.param.format;
                           for (char& c : name) {
                             if (c == 'x') c = '_';
                           }
                           return name;
                         });

// A Vulkan receiver forced to host frames and a zero-copy one on one channel at once: both
// check every frame, each says the transfer it got, and list counts one of each.
TEST_F(CliHost, ForcedHostReceiverBesideAZeroCopyOne) {
  Process sender({"send", "mixed", "--size", "320x180", "--fps", "20"}, env_);
  ASSERT_FALSE(wait_for_channel("mixed").is_null()) << "the sender did not publish";
  // The host one runs until SIGINT, so that it is still there while the other one reads.
  Process host({"recv", "mixed", "--transfer", "host", "--verify", "--json", "--timeout", "60"},
               env_);
  Process device({"recv", "mixed", "--verify", "--json", "--frames", "200", "--timeout", "60"},
                 env_);
  const json both = wait_for(
      "mixed", [](const json& c) { return c["receivers"] == 2 && c["host_receivers"] == 1; }, 60s);
  if (both.is_null()) {
    const Outcome h = host.stop(SIGINT, 30s);
    if (unsupported(h)) GTEST_SKIP() << "no host frames here: " << h.err;
    FAIL() << "list never showed one host and one device receiver; host: " << h.out << h.err
           << "\ndevice: " << device.stop(SIGINT, 30s).err;
  }
  EXPECT_EQ(both["host_receivers"], 1);
  EXPECT_EQ(both["device_receivers"], 1);

  const Outcome d = device.wait(300s);
  const Outcome h = host.stop(SIGINT, 60s);
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  const json ds = json::parse(d.out, nullptr, false);
  const json hs = json::parse(h.out, nullptr, false);
  ASSERT_FALSE(ds.is_discarded()) << d.out;
  ASSERT_FALSE(hs.is_discarded()) << h.out;
  EXPECT_EQ(ds["frames"], 200);
  EXPECT_EQ(ds["bad"], 0);
  EXPECT_EQ(ds["transfer"], "device");
  EXPECT_EQ(ds["api"], "vulkan");
  // Connected before the device one and stopped after it had its 200.
  EXPECT_GE(hs["frames"].get<std::uint64_t>(), 100u) << h.out;
  EXPECT_EQ(hs["bad"], 0);
  EXPECT_EQ(hs["transfer"], "host");
  EXPECT_EQ(hs["api"], "vulkan");
  EXPECT_EQ(hs["interrupted"], true);
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

TEST_F(CliHost, FourHostReceiversAtOnceAllVerify) {
  Process sender({"send", "four", "--size", "640x360", "--fps", "60"}, env_);
  ASSERT_FALSE(wait_for_channel("four").is_null()) << "the sender did not publish";
  std::vector<std::unique_ptr<Process>> receivers;
  for (int i = 0; i < 4; ++i) {
    receivers.push_back(std::make_unique<Process>(
        std::vector<std::string>{"recv", "four", "--api", "host", "--verify", "--json", "--frames",
                                 "200", "--timeout", "60"},
        env_));
  }
  for (int i = 0; i < 4; ++i) {
    const Outcome r = receivers[i]->wait(300s);
    if (unsupported(r)) GTEST_SKIP() << "no host frames here: " << r.err;
    ASSERT_EQ(r.exit_code, 0) << "receiver " << i << ": " << r.out << r.err;
    const json summary = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << r.out;
    EXPECT_EQ(summary["frames"], 200) << "receiver " << i;
    EXPECT_EQ(summary["bad"], 0) << "receiver " << i;
    EXPECT_EQ(summary["transfer"], "host") << "receiver " << i;
  }
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

// A host receiver SIGKILLed mid-stream and one SIGSTOPped (holding whatever it held) stall
// neither the sender nor a third host receiver.
TEST_F(CliHost, KilledAndStoppedHostReceiversStallNobody) {
  Process sender({"send", "stall", "--size", "320x180", "--fps", "60"}, env_);
  ASSERT_FALSE(wait_for_channel("stall").is_null()) << "the sender did not publish";
  Process killed({"recv", "stall", "--api", "host", "--verify", "--timeout", "60"}, env_);
  Process stopped({"recv", "stall", "--api", "host", "--verify", "--timeout", "60"}, env_);
  // Both connected and reading: each printed a progress line after its first checked frame.
  const auto reading = [](const std::string& out, const std::string&) {
    return out.find(" frames, ") != std::string::npos;
  };
  const bool killed_reads = killed.read_until(reading, 60s);
  const bool stopped_reads = stopped.read_until(reading, 60s);
  if (!killed_reads || !stopped_reads) {
    const Outcome k = killed.stop(SIGINT, 30s);
    if (unsupported(k)) GTEST_SKIP() << "no host frames here: " << k.err;
    FAIL() << "the host receivers did not start reading: " << k.out << k.err << "\n"
           << stopped.stop(SIGINT, 30s).err;
  }
  ASSERT_FALSE(wait_for(
                   "stall", [](const json& c) { return c["host_receivers"] == 2; }, 30s)
                   .is_null());

  EXPECT_EQ(killed.stop(SIGKILL, 30s).signal, SIGKILL);
  ASSERT_EQ(::kill(stopped.pid(), SIGSTOP), 0);
  const json before = channel_entry("stall");
  ASSERT_FALSE(before.is_null());
  const auto frames_before = before["frames"].get<std::uint64_t>();

  const Outcome third = geyser({"recv", "stall", "--api", "host", "--verify", "--json", "--frames",
                                "200", "--timeout", "60"},
                               300s);
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  const json summary = json::parse(third.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << third.out;
  EXPECT_EQ(summary["frames"], 200);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["transfer"], "host");

  // The sender kept presenting all along (the stopped receiver is still stopped).
  const json after = channel_entry("stall");
  ASSERT_FALSE(after.is_null()) << "the sender stopped answering";
  EXPECT_GE(after["frames"].get<std::uint64_t>(), frames_before + 200) << after;
  const json later = wait_for(
      "stall", [&](const json& c) { return c["frames"].get<std::uint64_t>() > after["frames"]; },
      30s);
  EXPECT_FALSE(later.is_null()) << "the sender's frame count stopped rising";

  EXPECT_EQ(stopped.stop(SIGKILL, 30s).signal, SIGKILL);
  EXPECT_FALSE(wait_for(
                   "stall", [](const json& c) { return c["host_receivers"] == 0; }, 30s)
                   .is_null())
      << "the dead receivers are still counted";
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

// The OpenGL and CUDA senders copy to host slots through their Vulkan twin, after their own
// work: `recv --api host --verify` checks every frame they draw. Skipped where geyser lacks
// that API or this machine cannot run it (no GL context sharing a Vulkan device; no CUDA
// driver, kernel or CUDA device that is a Vulkan device).
class CliHostSenders : public CliHost, public testing::WithParamInterface<std::string> {};

TEST_P(CliHostSenders, HostRecvVerifiesEveryFrameTheSenderDraws) {
  const std::string api = GetParam();
  if (const std::string why = missing_api(api); !why.empty()) GTEST_SKIP() << why;
  Process sender({"send", "drawn", "--api", api, "--size", "640x360", "--fps", "60"}, env_);
  ASSERT_FALSE(wait_for_channel("drawn").is_null()) << "the sender did not publish";
  const Outcome r = geyser({"recv", "drawn", "--api", "host", "--verify", "--json", "--frames",
                            "200", "--timeout", "60"},
                           300s);
  if (unsupported(r)) GTEST_SKIP() << "no host frames here: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], 200);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["transfer"], "host");
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Apis, CliHostSenders, testing::Values("opengl", "cuda"),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

// The host ring lives while host receivers read: the sender's RSS grows by tens of MiB at
// 1080p, and falls back to what it was once they left. The sender's own ring grows to
// 2 x receivers + 1 slots as receivers connect, host ones included, and never shrinks
// (docs/channels.md): two zero-copy receivers come and go first, so that the figure
// without host receivers already has the 5 slots two host receivers would grow it to.
TEST_F(CliHost, SenderMemoryReturnsAfterHostReceiversLeave) {
  Process sender({"send", "rss", "--size", "1920x1080", "--fps", "30"}, env_);
  ASSERT_FALSE(wait_for_channel("rss").is_null()) << "the sender did not publish";
  {
    Process a({"recv", "rss", "--frames", "30", "--json", "--timeout", "60"}, env_);
    Process b({"recv", "rss", "--frames", "30", "--json", "--timeout", "60"}, env_);
    ASSERT_FALSE(wait_for(
                     "rss", [](const json& c) { return c["receivers"] == 2; }, 60s)
                     .is_null())
        << "the zero-copy receivers did not connect";
    const Outcome oa = a.wait(120s);
    const Outcome ob = b.wait(120s);
    ASSERT_EQ(oa.exit_code, 0) << oa.out << oa.err;
    ASSERT_EQ(ob.exit_code, 0) << ob.out << ob.err;
  }
  ASSERT_FALSE(wait_for(
                   "rss", [](const json& c) { return c["receivers"] == 0; }, 30s)
                   .is_null());
  // Settled: two readings 500 ms apart within 256 KiB of each other.
  const auto settled_rss = [&](std::chrono::milliseconds timeout) -> std::optional<std::uint64_t> {
    const auto deadline = Clock::now() + timeout;
    std::optional<std::uint64_t> previous = rss_kib(sender.pid());
    while (Clock::now() < deadline) {
      std::this_thread::sleep_for(500ms);
      const auto now = rss_kib(sender.pid());
      if (!now || !previous) return std::nullopt;
      const auto diff = *now > *previous ? *now - *previous : *previous - *now;
      if (diff <= 256) return now;
      previous = now;
    }
    return std::nullopt;
  };
  const auto base = settled_rss(30s);
  ASSERT_TRUE(base.has_value()) << "the sender's RSS did not settle";

  std::optional<std::uint64_t> peak;
  {
    // --json: nothing on stdout until they end, so no pipe fills up while they read.
    Process a({"recv", "rss", "--api", "host", "--json", "--timeout", "60"}, env_);
    Process b({"recv", "rss", "--api", "host", "--json", "--timeout", "60"}, env_);
    const json both = wait_for(
        "rss", [](const json& c) { return c["host_receivers"] == 2; }, 60s);
    if (both.is_null()) {
      const Outcome o = a.stop(SIGINT, 30s);
      if (unsupported(o)) GTEST_SKIP() << "no host frames here: " << o.err;
      FAIL() << "list never showed 2 host receivers: " << o.out << o.err;
    }
    // The ring is written once its receivers are there: wait for the RSS to show it.
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      peak = rss_kib(sender.pid());
      if (peak && *peak > *base + 16 * 1024) break;
      std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(peak.has_value());
    EXPECT_GT(*peak, *base + 16 * 1024)
        << "RSS with host receivers " << *peak << " KiB, without " << *base << " KiB";
    EXPECT_EQ(a.stop(SIGINT, 30s).exit_code, 0);
    EXPECT_EQ(b.stop(SIGINT, 30s).exit_code, 0);
  }
  ASSERT_FALSE(wait_for(
                   "rss", [](const json& c) { return c["host_receivers"] == 0; }, 30s)
                   .is_null())
      << "the receivers that left are still counted";
  std::optional<std::uint64_t> after;
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    after = rss_kib(sender.pid());
    if (after && *after <= *base + 1024) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(after.has_value());
  EXPECT_LE(*after, *base + 1024) << "RSS before " << *base << " KiB, with host receivers "
                                  << (peak ? *peak : 0) << " KiB, after " << *after << " KiB";
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
}

TEST_F(CliHost, HostApiWithDeviceTransferIsAUsageError) {
  const Outcome o = geyser({"recv", "x", "--api", "host", "--transfer", "device"}, 30s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("--transfer"), std::string::npos) << o.err;
  const Outcome bad = geyser({"recv", "x", "--transfer", "sideways"}, 30s);
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

}  // namespace
}  // namespace geyser::cli_test
