// The `geyser` command as a user runs it: separate processes, real channels, real PNGs.
// Each test has its own runtime directory (GEYSER_RUNTIME_DIR, made by mkdtemp, mode 0700).
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
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

using Cli = CliFixture;

// Checks a decoded PNG against the test pattern of `frame` (or, when 0, the frame its
// pixel (0, 0) claims).
void expect_pattern(const DecodedPng& png, std::uint64_t frame) {
  ASSERT_EQ(png.rgba.size(), std::size_t{png.width} * png.height * 4);
  if (frame == 0) frame = pattern_frame_of(png.rgba);
  const auto mismatch = check_test_pattern(png.rgba, png.width, png.height, 4, frame);
  EXPECT_FALSE(mismatch.has_value()) << "frame " << frame << ": " << mismatch->to_string();
}

// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The bytes of `text` in lowercase hex, as recv shows metadata that is not printable.
std::string hex_of(const std::string& text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out;
}

// The frame count of the last progress line ("N frames, F fps, ...") recv printed; 0: none.
std::uint64_t last_progress_frames(const std::string& out) {
  static const std::regex line(R"((?:^|\n)(\d+) frames, )");
  std::uint64_t frames = 0;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) {
    frames = std::stoull((*it)[1].str());
  }
  return frames;
}

TEST_F(Cli, HelpForEverySubcommandExitsZero) {
  for (const char* command : {"info", "demo", "list", "send", "recv"}) {
    const Outcome o = geyser({command, "--help"}, 10s);
    EXPECT_EQ(o.exit_code, 0) << command << ": " << o.err;
    EXPECT_NE(o.out.find("Usage:"), std::string::npos) << command << ": " << o.out;
    EXPECT_NE(o.out.find("Exit codes"), std::string::npos) << command;
  }
  const Outcome top = geyser({"--help"}, 10s);
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"demo", "list", "send", "recv"}) {
    EXPECT_NE(top.out.find(command), std::string::npos) << command;
  }
}

TEST_F(Cli, DemoChecksEveryFrameAndWritesAPngOfOne) {
  const std::string png = path("demo.png");
  const Outcome o = geyser({"demo", "--frames", "60", "--size", "160x90", "--png", png}, 50s);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("of 60 frames received"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("0 bad"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(png), std::string::npos) << o.out;
  const auto decoded = decode_png(png);
  ASSERT_TRUE(decoded.has_value()) << png;
  EXPECT_EQ(decoded->width, 160u);
  EXPECT_EQ(decoded->height, 90u);
  EXPECT_EQ(decoded->channels_in_file, 4);
  expect_pattern(*decoded, 0);
}

TEST_F(Cli, SendAndRecvVerifyAcrossProcesses) {
  Process sender({"send", "pattern", "--size", "96x64", "--fps", "120"}, env_);
  const std::string png = path("recv.png");
  const Outcome r = geyser(
      {"recv", "pattern", "--frames", "20", "--verify", "--png", png, "--json", "--timeout", "20"},
      40s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["channel"], "pattern");
  EXPECT_EQ(summary["frames"], 20);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["width"], 96);
  EXPECT_EQ(summary["height"], 64);
  EXPECT_EQ(summary["format"], "Rgba8Unorm");
  EXPECT_EQ(summary["png"], png);
  EXPECT_EQ(summary["color_space"], "srgb");  // send's defaults
  EXPECT_EQ(summary["alpha"], "straight");
  EXPECT_EQ(summary["orientation"], "top-down");
  EXPECT_EQ(summary["protocol"], 2);
  EXPECT_EQ(summary["metadata"], "");  // send without --metadata
  EXPECT_EQ(summary["metadata_encoding"], "utf-8");
  EXPECT_TRUE(summary["sync_mode"] == "cpu" || summary["sync_mode"] == "gpu");
  EXPECT_GE(summary["latency_p99_us"].get<double>(), summary["latency_p50_us"].get<double>());
  const auto last_frame = summary["last_frame"].get<std::uint64_t>();
  EXPECT_GE(last_frame, 20u);

  const auto decoded = decode_png(png);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->width, 96u);
  EXPECT_EQ(decoded->height, 64u);
  expect_pattern(*decoded, last_frame);

  // SIGTERM: the sender stops cleanly and unpublishes the channel.
  const Outcome s = sender.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_NE(s.out.find("unpublished"), std::string::npos) << s.out;
  const Outcome listed = geyser({"list", "--json"}, 10s);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(json::parse(listed.out)["channels"].empty()) << listed.out;
}

// recv --timeout bounds the wait for a sender also across a restart (docs/cli.md): the
// sender is SIGKILLed mid-stream, a new one publishes the name 1.5 s later, and recv takes
// its frames on the same run. With --frames 0 it then ends normally, exit 0, once the
// second sender is gone for --timeout seconds. Without --json recv prints a progress line as
// soon as it checked its first frame, and says on stderr when the sender went away and
// when it reconnected: the test waits for those lines rather than sleeping.
TEST_F(Cli, RecvKeepsWaitingAcrossASenderRestart) {
  const std::vector<std::string> send_args{"send", "restartable", "--size", "96x64", "--fps", "60"};
  constexpr int kTimeoutS = 6;  // > the 1.5 s gap plus a sender's start-up, with margin
  Process first(send_args, env_);
  ASSERT_FALSE(wait_for_channel("restartable").is_null());
  Process recv(
      {"recv", "restartable", "--frames", "0", "--verify", "--timeout", std::to_string(kTimeoutS)},
      env_);
  ASSERT_TRUE(recv.read_until(
      [](const std::string& out, const std::string&) { return last_progress_frames(out) > 0; },
      20s))
      << recv.out() << recv.err();

  const Outcome killed = first.stop(SIGKILL, 10s);
  EXPECT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  const std::uint64_t before_restart = last_progress_frames(recv.out());  // a lower bound
  ASSERT_TRUE(recv.read_until(
      [](const std::string&, const std::string& err) {
        return err.find("the sender of 'restartable' went away") != std::string::npos;
      },
      10s))
      << recv.out() << recv.err();
  std::this_thread::sleep_for(1500ms);

  Process second(send_args, env_);
  ASSERT_TRUE(recv.read_until(
      [](const std::string&, const std::string& err) {
        return err.find("reconnected to 'restartable'") != std::string::npos;
      },
      20s))
      << recv.out() << recv.err();

  const auto stopped = Clock::now();
  const Outcome s = second.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_NE(s.out.find("unpublished"), std::string::npos) << s.out;

  const Outcome r = recv.wait(std::chrono::seconds(kTimeoutS) + 20s);
  const auto waited = Clock::now() - stopped;
  ASSERT_FALSE(r.timed_out) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // --frames 0 ended by the timeout
  // It waited for a sender to come back rather than ending when the second one left.
  EXPECT_GE(waited, std::chrono::seconds(kTimeoutS) / 2);
  EXPECT_EQ(occurrences(r.err, "went away"), 2u) << r.err;
  EXPECT_EQ(occurrences(r.err, "reconnected"), 1u) << r.err;  // a frame from each sender
  EXPECT_EQ(r.err.find("does not match"), std::string::npos) << r.err;

  std::smatch summary;
  ASSERT_TRUE(std::regex_search(
      r.out, summary, std::regex(R"(geyser recv: (\d+) frames from 'restartable' \(96x64 )")))
      << r.out;
  EXPECT_GT(std::stoull(summary[1].str()), before_restart) << r.out;
  EXPECT_NE(r.out.find(", 0 bad;"), std::string::npos) << r.out;
}

TEST_F(Cli, RecvOfAnUnknownChannelNamesTheExistingOnes) {
  Process sender({"send", "present-one", "--size", "32x32", "--fps", "30"}, env_);
  ASSERT_FALSE(wait_for_channel("present-one").is_null());
  const Outcome r = geyser({"recv", "missing", "--timeout", "1"}, 20s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(r.elapsed, 15s);  // 1 s of waiting plus start-up under the validation layer
  EXPECT_NE(r.err.find("unknown channel 'missing'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("present-one"), std::string::npos) << r.err;
  EXPECT_EQ(sender.stop(SIGINT, 20s).exit_code, 0);
}

TEST_F(Cli, RecvWithNoChannelAtAllSaysSo) {
  const Outcome r = geyser({"recv", "missing", "--timeout", "1"}, 20s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown channel 'missing'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no channel is published"), std::string::npos) << r.err;
}

// --api opengl on either end, as processes: frames drawn through GL (glTextureSubImage2D
// into textures of the GL sender's Vulkan twin) read and checked by a Vulkan receiver, and
// Vulkan frames imported and read back through GL (glGetTextureImage).
class CliOpenGl : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    const Outcome help = geyser({"send", "--help"}, 30s);
    if (help.out.find("opengl") == std::string::npos) {
      GTEST_SKIP() << "geyser was built without the OpenGL channel ends";
    }
    const Outcome info = geyser({"info", "--json"}, 30s);
    const json gl = json::parse(info.out, nullptr, false);
    if (gl.is_discarded() || !gl["opengl"]["available"].get<bool>() ||
        !gl["opengl"]["vulkan_device"].is_number()) {
      GTEST_SKIP() << "no OpenGL context sharing with a Vulkan device here: " << info.out;
    }
  }

  // `recv --api recv_api` of 200 frames with --verify while `geyser send --api send_api`
  // runs, in `format`: every frame recv reads is checked (and, for RGBA8, a PNG of the last).
  void expect_verified(const std::string& send_api, const std::string& recv_api,
                       const std::string& format) {
    Process sender({"send", "glpattern", "--api", send_api, "--size", "96x64", "--format", format,
                    "--fps", "200"},
                   env_);
    const bool png = format == "Rgba8Unorm";
    const std::string file = path("gl.png");
    std::vector<std::string> args = {"recv", "glpattern", "--api",  recv_api,    "--frames",
                                     "200",  "--verify",  "--json", "--timeout", "20"};
    if (png) args.insert(args.end(), {"--png", file});
    const Outcome r = geyser(args, 90s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << r.out;
    EXPECT_EQ(summary["frames"], 200);
    EXPECT_EQ(summary["verified"], true);
    EXPECT_EQ(summary["bad"], 0);
    EXPECT_EQ(summary["format"], format);
    EXPECT_EQ(summary["api"], recv_api);
    if (png) {
      const auto decoded = decode_png(file);
      ASSERT_TRUE(decoded.has_value());
      expect_pattern(*decoded, summary["last_frame"].get<std::uint64_t>());
    }
    const Outcome s = sender.stop(SIGTERM, 20s);
    EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  }
};

// Sender API, receiver API, format.
using ApiPair = std::tuple<std::string, std::string, std::string>;
class CliOpenGlPairs : public CliOpenGl, public testing::WithParamInterface<ApiPair> {};

TEST_P(CliOpenGlPairs, RecvVerifiesEveryFrameItReads) {
  const auto& [send_api, recv_api, format] = GetParam();
  expect_verified(send_api, recv_api, format);
}

INSTANTIATE_TEST_SUITE_P(Apis, CliOpenGlPairs,
                         testing::Values(ApiPair{"opengl", "vulkan", "Rgba8Unorm"},
                                         ApiPair{"opengl", "vulkan", "Rgba16Float"},
                                         ApiPair{"vulkan", "opengl", "Rgba8Unorm"},
                                         ApiPair{"vulkan", "opengl", "Rgba16Float"},
                                         ApiPair{"opengl", "opengl", "Rgba8Unorm"}),
                         [](const testing::TestParamInfo<ApiPair>& p) {
                           return std::get<0>(p.param) + "_to_" + std::get<1>(p.param) + "_" +
                                  std::get<2>(p.param);
                         });

TEST_F(Cli, UnknownApiIsAUsageError) {
  const Outcome r = geyser({"recv", "x", "--api", "metal"}, 10s);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--api"), std::string::npos) << r.err;
}

TEST_F(Cli, InfoReportsTheOpenGlContextAndTheVulkanDeviceItSharesWith) {
  const Outcome r = geyser({"info", "--json"}, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  ASSERT_TRUE(report.contains("opengl")) << r.out;
  const json& gl = report["opengl"];
  if (!gl["available"].get<bool>()) {
    EXPECT_FALSE(gl["reason"].get<std::string>().empty());
    GTEST_SKIP() << "no OpenGL context here: " << gl["reason"].get<std::string>();
  }
  EXPECT_TRUE(gl["reason"].is_null());
  EXPECT_FALSE(gl["renderer"].get<std::string>().empty());
  EXPECT_TRUE(gl["platform"] == "device" || gl["platform"] == "surfaceless") << gl;
  ASSERT_TRUE(gl["vulkan_device"].is_number()) << "the context shares with no Vulkan device";
  const json& device = report["devices"][gl["vulkan_device"].get<std::size_t>()];
  EXPECT_EQ(gl["driver_uuid"], device["driver_uuid"]);
  EXPECT_EQ(gl["device_uuid"], device["device_uuid"]);

  const Outcome text = geyser({"info"}, 30s);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("OpenGL (headless EGL context)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(gl["renderer"].get<std::string>()), std::string::npos) << text.out;
}

TEST_F(Cli, InfoReportsCudaOrSaysPlainlyThatThereIsNoDriver) {
  const Outcome r = geyser({"info", "--json"}, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  ASSERT_TRUE(report.contains("cuda")) << r.out;
  const json& cuda = report["cuda"];
  const Outcome text = geyser({"info"}, 30s);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  if (!cuda["built"].get<bool>()) {
    EXPECT_NE(text.out.find("CUDA: not built"), std::string::npos) << text.out;
    GTEST_SKIP() << "this geyser has no CUDA backend: " << cuda["reason"].get<std::string>();
  }
  if (!cuda["driver_installed"].get<bool>()) {
    EXPECT_FALSE(cuda["available"].get<bool>());
    EXPECT_NE(cuda["reason"].get<std::string>().find("libcuda.so.1 not found"), std::string::npos)
        << cuda;
    EXPECT_TRUE(cuda["devices"].empty());
    EXPECT_NE(text.out.find("CUDA: no driver (libcuda.so.1 not found)"), std::string::npos)
        << text.out;
    return;
  }
  ASSERT_TRUE(cuda["available"].get<bool>()) << cuda;
  ASSERT_FALSE(cuda["devices"].empty()) << cuda;
  for (const json& device : cuda["devices"]) {
    EXPECT_FALSE(device["name"].get<std::string>().empty());
    EXPECT_NE(text.out.find(device["device_uuid"].get<std::string>()), std::string::npos)
        << text.out;
    // On NVIDIA the CUDA device UUID is the Vulkan deviceUUID of the same GPU.
    if (device["vulkan_device"].is_number()) {
      EXPECT_EQ(report["devices"][device["vulkan_device"].get<std::size_t>()]["device_uuid"],
                device["device_uuid"]);
    }
  }
}

TEST_F(Cli, ListJsonShowsARunningSender) {
  const Outcome empty = geyser({"list", "--json"}, 10s);
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  const json none = json::parse(empty.out);
  EXPECT_EQ(none["runtime_dir"], dir_.string());
  EXPECT_TRUE(none["channels"].empty());

  Process sender({"send", "listed", "--size", "120x40", "--format", "Bgra8Unorm", "--fps", "30"},
                 env_);
  const json channel = wait_for_channel("listed");
  ASSERT_FALSE(channel.is_null());
  EXPECT_EQ(channel["width"], 120);
  EXPECT_EQ(channel["height"], 40);
  EXPECT_EQ(channel["format"], "Bgra8Unorm");
  EXPECT_EQ(channel["color_space"], "srgb");
  EXPECT_EQ(channel["alpha"], "straight");
  EXPECT_EQ(channel["orientation"], "top-down");
  EXPECT_TRUE(channel["sync_mode"] == "cpu" || channel["sync_mode"] == "gpu");
  EXPECT_EQ(channel["receivers"], 0);
  EXPECT_EQ(channel["sender_pid"], sender.pid());
  EXPECT_EQ(channel["protocol"], 2);
  EXPECT_TRUE(channel["error"].is_null());

  const Outcome text = geyser({"list"}, 10s);
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("120x40"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("COLOR"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("PROTO"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("srgb/straight/top-down"), std::string::npos) << text.out;
  EXPECT_EQ(sender.stop(SIGTERM, 20s).exit_code, 0);
}

// The colour description and the per-frame metadata of `send` reach `list` and `recv`.
TEST_F(Cli, ColorAndMetadataReachListAndRecv) {
  Process sender(
      {"send", "hdr", "--size", "48x32", "--fps", "60", "--color-space", "bt2020-pq", "--alpha",
       "premultiplied", "--orientation", "bottom-up", "--metadata", "tc {frame}"},
      env_);
  const json channel = wait_for_channel("hdr");
  ASSERT_FALSE(channel.is_null()) << sender.out() << sender.err();
  EXPECT_EQ(channel["protocol"], 2);
  EXPECT_EQ(channel["color_space"], "bt2020-pq");
  EXPECT_EQ(channel["alpha"], "premultiplied");
  EXPECT_EQ(channel["orientation"], "bottom-up");
  const Outcome table = geyser({"list"}, 10s);
  EXPECT_NE(table.out.find("bt2020-pq/premultiplied/bottom-up"), std::string::npos) << table.out;

  const Outcome r = geyser({"recv", "hdr", "--frames", "5", "--json", "--timeout", "20"}, 40s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["protocol"], 2);
  EXPECT_EQ(summary["color_space"], "bt2020-pq");
  EXPECT_EQ(summary["alpha"], "premultiplied");
  EXPECT_EQ(summary["orientation"], "bottom-up");
  const auto last_frame = summary["last_frame"].get<std::uint64_t>();
  EXPECT_EQ(summary["metadata"], "tc " + std::to_string(last_frame));
  EXPECT_EQ(summary["metadata_encoding"], "utf-8");

  // Text output: the description once connected, then one metadata line per frame.
  const Outcome shown =
      geyser({"recv", "hdr", "--frames", "3", "--show-metadata", "--timeout", "20"}, 40s);
  ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("color bt2020-pq/premultiplied/bottom-up"), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("protocol 2"), std::string::npos) << shown.out;
  static const std::regex line(R"((?:^|\n)frame (\d+) metadata: tc (\d+)(?=\n))");
  std::size_t lines = 0;
  for (std::sregex_iterator it(shown.out.begin(), shown.out.end(), line), end; it != end; ++it) {
    EXPECT_EQ((*it)[1].str(), (*it)[2].str()) << shown.out;
    ++lines;
  }
  EXPECT_EQ(lines, 3u) << shown.out;
  EXPECT_EQ(sender.stop(SIGTERM, 20s).exit_code, 0);
}

// Metadata that is not printable UTF-8 is shown in hex, and the JSON says so.
TEST_F(Cli, UnprintableMetadataIsShownInHex) {
  Process sender({"send", "bin", "--size", "16x16", "--fps", "60", "--metadata", "\x01\xff{frame}"},
                 env_);
  const Outcome r = geyser({"recv", "bin", "--frames", "2", "--json", "--timeout", "20"}, 40s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  const auto last_frame = summary["last_frame"].get<std::uint64_t>();
  EXPECT_EQ(summary["metadata_encoding"], "hex");
  EXPECT_EQ(summary["metadata"], "01ff" + hex_of(std::to_string(last_frame)));
  EXPECT_EQ(sender.stop(SIGTERM, 20s).exit_code, 0);
}

TEST_F(Cli, RecvVerifiesOtherFormatsAndRefusesThemForPng) {
  Process sender({"send", "half", "--size", "40x30", "--format", "Rgba16Float", "--fps", "60"},
                 env_);
  const Outcome verified =
      geyser({"recv", "half", "--frames", "5", "--verify", "--json", "--timeout", "20"}, 40s);
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(json::parse(verified.out)["format"], "Rgba16Float");
  const Outcome png = geyser({"recv", "half", "--png", path("x.png"), "--timeout", "20"}, 40s);
  EXPECT_EQ(png.exit_code, 1);
  EXPECT_NE(png.err.find("Rgba16Float"), std::string::npos) << png.err;
  EXPECT_NE(png.err.find("Rgba8Unorm"), std::string::npos) << png.err;
  EXPECT_EQ(sender.stop(SIGTERM, 20s).exit_code, 0);
}

TEST_F(Cli, InvalidSizeIsAUsageError) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"send", "x", "--size", "0x10"},
                                                                {"send", "x", "--size", "1280"},
                                                                {"demo", "--size", "axb"},
                                                                {"demo", "--size", "40000x10"}}) {
    const Outcome o = geyser(args, 10s);
    EXPECT_EQ(o.exit_code, 2) << args[2];
    EXPECT_NE(o.err.find("WIDTHxHEIGHT"), std::string::npos) << o.err;
  }
}

TEST_F(Cli, InvalidFormatIsAUsageErrorListingTheValidOnes) {
  for (const char* format : {"nope", "Depth32Float"}) {
    const Outcome o = geyser({"send", "x", "--format", format}, 10s);
    EXPECT_EQ(o.exit_code, 2) << format;
    EXPECT_NE(o.err.find("valid formats: Rgba8Unorm, Bgra8Unorm"), std::string::npos) << o.err;
  }
}

TEST_F(Cli, InvalidColorIsAUsageErrorListingTheValidValues) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"send", "x", "--color-space", "rec2020"},
       "unknown colour space 'rec2020'; valid colour spaces: srgb, linear-srgb, bt709, "
       "bt2020-pq, bt2020-hlg"},
      {{"send", "x", "--alpha", "none"},
       "unknown alpha mode 'none'; valid alpha modes: straight, premultiplied, opaque"},
      {{"send", "x", "--orientation", "upside-down"},
       "unknown orientation 'upside-down'; valid orientations: top-down, bottom-up"}};
  for (const auto& [args, message] : cases) {
    const Outcome o = geyser(args, 10s);
    EXPECT_EQ(o.exit_code, 2) << args[2];
    EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
  }
}

// --metadata must fit 256 bytes for every frame: each {frame} counts as 20 digits, or as
// many as --frames has.
TEST_F(Cli, TooLongMetadataIsAUsageError) {
  const std::string fits_with_frames = std::string(249, 'a') + "{frame}";  // 250 with frame 1
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"send", "x", "--metadata", std::string(257, 'a')},
           {"send", "x", "--metadata", fits_with_frames},
           {"send", "x", "--metadata", fits_with_frames, "--frames", "10000000"}}) {
    const Outcome o = geyser(args, 10s);
    EXPECT_EQ(o.exit_code, 2) << args.size();
    EXPECT_NE(o.err.find("--metadata"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("at most 256 bytes"), std::string::npos) << o.err;
  }
  const Outcome sent = geyser({"send", "fits", "--size", "16x16", "--fps", "0", "--frames", "9",
                               "--metadata", fits_with_frames},
                              30s);
  EXPECT_EQ(sent.exit_code, 0) << sent.out << sent.err;
}

TEST_F(Cli, ShowMetadataAndJsonExcludeEachOther) {
  const Outcome o = geyser({"recv", "x", "--json", "--show-metadata"}, 10s);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("excludes"), std::string::npos) << o.err;
}

TEST_F(Cli, RefusedRuntimeDirSaysWhichAndWhy) {
  const auto open_dir = dir_ / "open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0755), 0);  // whatever the umask
  const Outcome o = run({"list"}, 10s, {{"GEYSER_RUNTIME_DIR", open_dir.string()}});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find(open_dir.string()), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("0755"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("GEYSER_RUNTIME_DIR"), std::string::npos) << o.err;
}

TEST_F(Cli, NoVulkanDriverNamesThePackage) {
  Env env = env_;
  env.emplace_back("VK_ICD_FILENAMES", "/nonexistent/geyser-test-icd.json");
  env.emplace_back("VK_DRIVER_FILES", "/nonexistent/geyser-test-icd.json");
  const Outcome o = run({"send", "x", "--frames", "1"}, 20s, env);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("mesa-vulkan-drivers"), std::string::npos) << o.err;
}

// --api cuda (docs/interop-cuda.md, "The command and the example"). Skipped where geyser was
// built without the CUDA channel ends (`recv --help` lists no "cuda"); `geyser info --json`
// says whether a driver is here.
class CliCuda : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    const Outcome help = geyser({"recv", "--help"}, 30s);
    if (help.out.find("cuda") == std::string::npos) {
      GTEST_SKIP() << "geyser was built without the CUDA channel ends";
    }
    const Outcome info = geyser({"info", "--json"}, 30s);
    const json report = json::parse(info.out, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << info.out << info.err;
    ASSERT_TRUE(report.contains("cuda")) << info.out;
    cuda_ = report["cuda"];
  }

  // Skips unless a CUDA driver is here, its kernel is built, and a CUDA device is a Vulkan
  // device (the GPU `geyser send` writes on).
  void require_cuda() {
    if (!cuda_["available"].get<bool>()) {
      GTEST_SKIP() << "no CUDA driver here: " << cuda_["reason"].get<std::string>();
    }
    if (!cuda_["kernels"].get<bool>()) {
      GTEST_SKIP() << "geyser::cuda was built without nvcc: no pattern-check kernel";
    }
    for (const json& device : cuda_["devices"]) {
      if (device["vulkan_device"].is_number()) return;
    }
    GTEST_SKIP() << "no CUDA device is a Vulkan device here: " << cuda_;
  }

  json cuda_;
};

TEST_F(CliCuda, RecvWithoutADriverSaysSoAtOnce) {
  if (cuda_["available"].get<bool>()) GTEST_SKIP() << "a CUDA driver is present here";
  // --timeout 30: recv must not wait for a sender when it cannot receive at all.
  const Outcome r = geyser({"recv", "x", "--api", "cuda", "--timeout", "30"}, 20s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_LT(r.elapsed, 10s);
  EXPECT_TRUE(r.out.empty()) << r.out;
  if (!cuda_["driver_installed"].get<bool>()) {
    EXPECT_NE(r.err.find("no CUDA driver is present"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("libcuda.so.1 not found"), std::string::npos) << r.err;
  } else {
    EXPECT_NE(r.err.find("the CUDA driver cannot be used"), std::string::npos) << r.err;
  }
  EXPECT_NE(r.err.find("geyser info"), std::string::npos) << "the hint: " << r.err;
}

// 1,000 frames of `geyser send` at 1920x1080 read by `geyser recv --api cuda --verify`, each
// checked by the pattern-check kernel on the GPU (no fallback to a readback), in the sync
// mode the sender is told to use (GEYSER_SYNC in its process).
class CliCudaModes : public CliCuda, public testing::WithParamInterface<std::string> {};

TEST_P(CliCudaModes, RecvChecksAThousandFullHdFramesWithTheKernel) {
  require_cuda();
  if (IsSkipped()) return;
  Env env = env_;
  env.emplace_back("GEYSER_SYNC", GetParam());
  Process sender({"send", "cudapattern", "--size", "1920x1080", "--fps", "0"}, env);
  const Outcome r = geyser({"recv", "cudapattern", "--api", "cuda", "--verify", "--frames", "1000",
                            "--json", "--timeout", "20"},
                           50s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], 1000);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["width"], 1920);
  EXPECT_EQ(summary["height"], 1080);
  EXPECT_EQ(summary["format"], "Rgba8Unorm");
  EXPECT_EQ(summary["api"], "cuda");
  EXPECT_EQ(summary["sync_mode"], GetParam());
  EXPECT_EQ(summary["timed_out"], false);
  EXPECT_EQ(r.err.find("pattern-check kernel cannot"), std::string::npos) << r.err;
  const Outcome s = sender.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
}

INSTANTIATE_TEST_SUITE_P(Sync, CliCudaModes, testing::Values("gpu", "cpu"),
                         [](const auto& p) { return p.param; });

// --png with --api cuda: the frames are checked by the kernel and the newest is copied to
// the host (cuMemcpy3DAsync on the receiver's stream) for the PNG; without --verify only
// the last frame is copied.
TEST_F(CliCuda, RecvWritesAPngOfAFrameCopiedOutOfCuda) {
  require_cuda();
  if (IsSkipped()) return;
  Process sender({"send", "cudapng", "--size", "96x64", "--fps", "120"}, env_);
  for (const bool verify : {true, false}) {
    const std::string file = path(verify ? "verified.png" : "last.png");
    std::vector<std::string> args = {"recv",  "cudapng", "--api",  "cuda",      "--frames", "20",
                                     "--png", file,      "--json", "--timeout", "20"};
    if (verify) args.emplace_back("--verify");
    const Outcome r = geyser(args, 40s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << r.out;
    EXPECT_EQ(summary["bad"], 0);
    EXPECT_EQ(summary["api"], "cuda");
    EXPECT_EQ(summary["png"], file);
    const auto decoded = decode_png(file);
    ASSERT_TRUE(decoded.has_value()) << file;
    EXPECT_EQ(decoded->width, 96u);
    EXPECT_EQ(decoded->height, 64u);
    expect_pattern(*decoded, summary["last_frame"].get<std::uint64_t>());
  }
  const Outcome s = sender.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
}

TEST_F(CliCuda, SendWithoutADriverSaysSoAtOnce) {
  if (cuda_["available"].get<bool>()) GTEST_SKIP() << "a CUDA driver is present here";
  const Outcome r = geyser({"send", "x", "--api", "cuda", "--frames", "1"}, 20s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_LT(r.elapsed, 10s);
  EXPECT_NE(r.err.find(cuda_["driver_installed"].get<bool>() ? "the CUDA driver cannot be used"
                                                             : "no CUDA driver is present"),
            std::string::npos)
      << r.err;
  const Outcome listed = geyser({"list", "--json"}, 10s);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(json::parse(listed.out)["channels"].empty()) << "nothing published: " << listed.out;
}

// `geyser send --api cuda` (cuda::Sender: each frame uploaded with cuda::upload into a slot
// of the GPU's Vulkan twin) read by `geyser recv --api vulkan` (readback, checked on the CPU)
// and by `geyser recv --api cuda` (checked by the kernel), 300 frames at 1920x1080.
using CudaApiPair = std::tuple<std::string, std::string, std::string>;  // send, recv, format
class CliCudaPairs : public CliCuda, public testing::WithParamInterface<CudaApiPair> {};

TEST_P(CliCudaPairs, RecvVerifiesEveryFrameCudaSent) {
  require_cuda();
  if (IsSkipped()) return;
  const auto& [send_api, recv_api, format] = GetParam();
  Process sender({"send", "cudasend", "--api", send_api, "--size", "1920x1080", "--format", format,
                  "--fps", "0"},
                 env_);
  const Outcome r = geyser({"recv", "cudasend", "--api", recv_api, "--verify", "--frames", "300",
                            "--json", "--timeout", "20"},
                           50s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], 300);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["width"], 1920);
  EXPECT_EQ(summary["format"], format);
  EXPECT_EQ(summary["api"], recv_api);
  const Outcome s = sender.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_NE(s.out.find("CUDA device"), std::string::npos) << s.out;
}

INSTANTIATE_TEST_SUITE_P(Apis, CliCudaPairs,
                         testing::Values(CudaApiPair{"cuda", "vulkan", "Rgba8Unorm"},
                                         CudaApiPair{"cuda", "vulkan", "Rgba16Float"},
                                         CudaApiPair{"cuda", "cuda", "Rgba8Unorm"}),
                         [](const auto& p) {
                           return std::get<0>(p.param) + "_to_" + std::get<1>(p.param) + "_" +
                                  std::get<2>(p.param);
                         });

}  // namespace
}  // namespace geyser::cli_test
