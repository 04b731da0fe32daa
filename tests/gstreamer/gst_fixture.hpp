// What every GStreamer test starts from (label gstreamer): a private runtime directory, the
// build tree's plugin on GST_PLUGIN_PATH, and `gst-launch-1.0` and `geyser` run as
// processes in it; PNGs written by pipelines checked against the test pattern.
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../cli/png_decode.hpp"
#include "../cli/process.hpp"
#include "geyser/test_pattern.hpp"

namespace geyser::gst_test {

using cli_test::Env;
using cli_test::Outcome;
using cli_test::Process;
using namespace std::chrono_literals;

// How many descriptors process `pid` has open.
inline std::size_t fd_count(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Waits up to 10 s for process `pid` to have `count` descriptors open; its count then.
inline std::size_t fd_count_settled(pid_t pid, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fd_count(pid) != count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fd_count(pid);
}

// The fewest descriptors process `pid` has open over a second (ten samples): its steady
// count, without one a pipeline holds only for a moment (a PNG being written).
inline std::size_t fd_count_steady(pid_t pid) {
  std::size_t fewest = fd_count(pid);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fewest = std::min(fewest, fd_count(pid));
  }
  return fewest;
}

class GstFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/geyser-gst-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);  // mode 0700
    dir_ = templ;
    env_ = {{"GEYSER_RUNTIME_DIR", dir_.string()},
            {"GST_PLUGIN_PATH", GEYSER_GST_PLUGIN_PATH},
            {"GST_REGISTRY", GEYSER_GST_REGISTRY},
            {"GST_DEBUG_NO_COLOR", "1"}};
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // `gst-launch-1.0 -e pipeline` started (not waited for): SIGINT ends it with an EOS. The
  // pipeline is split at spaces, one argument each, as a shell would without quotes
  // (gst-launch takes each argument as one token).
  std::unique_ptr<Process> launch(const std::string& pipeline, const Env& extra = {}) {
    Env env = env_;
    env.insert(env.end(), extra.begin(), extra.end());
    std::vector<std::string> args{"-e"};
    std::size_t start = 0;
    while (start < pipeline.size()) {
      const std::size_t end = std::min(pipeline.find(' ', start), pipeline.size());
      if (end > start) args.push_back(pipeline.substr(start, end - start));
      start = end + 1;
    }
    return std::make_unique<Process>(GEYSER_GST_LAUNCH, args, env);
  }
  Outcome launch_and_wait(const std::string& pipeline, std::chrono::milliseconds timeout = 60s,
                          const Env& extra = {}) {
    return launch(pipeline, extra)->wait(timeout);
  }
  // `geyser args...` started.
  std::unique_ptr<Process> geyser(const std::vector<std::string>& args) {
    return std::make_unique<Process>(GEYSER_CLI, args, env_);
  }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  // The PNGs in the test's directory whose names start with `prefix`, sorted.
  std::vector<std::string> files(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".png") {
        out.push_back(entry.path().string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Waits until at least `count` PNGs start with `prefix`.
  bool wait_for_files(const std::string& prefix, std::size_t count,
                      std::chrono::milliseconds timeout = 30s) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (files(prefix).size() < count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  // Kills `sender` with -9 and starts it again from `send_args` three times: each time
  // `pipeline` must write 10 more PNGs starting with `prefix`, with its descriptor count
  // back at what it was before the first kill.
  void follow_three_restarts(const Process& pipeline, std::unique_ptr<Process>& sender,
                             const std::vector<std::string>& send_args, const std::string& prefix) {
    ASSERT_TRUE(wait_for_files(prefix, 10));
    const std::size_t baseline = fd_count_steady(pipeline.pid());
    for (int round = 0; round < 3; ++round) {
      ::kill(sender->pid(), SIGKILL);
      sender->wait(std::chrono::seconds(10));
      const std::size_t before = files(prefix).size();
      sender = geyser(send_args);
      ASSERT_TRUE(wait_for_files(prefix, before + 10)) << "round " << round;
      EXPECT_EQ(fd_count_settled(pipeline.pid(), baseline), baseline) << "round " << round;
    }
  }

  std::filesystem::path dir_;
  Env env_;
};

// The pixels of the PNG at `file` (width x height, else all of them count) that are not
// R 0x33, G 0x66, B 0xcc and, when `alpha`, A 0xff: videotestsrc's foreground-color
// 0xff3366cc. -1 when it is no such PNG.
inline long solid_colour_errors(const std::string& file, std::uint32_t width, std::uint32_t height,
                                bool alpha) {
  const auto png = cli_test::decode_png(file);
  if (!png || png->width != width || png->height != height) return -1;
  long wrong = 0;
  for (std::size_t i = 0; i < png->rgba.size(); i += 4) {
    const bool rgb = png->rgba[i] == 0x33 && png->rgba[i + 1] == 0x66 && png->rgba[i + 2] == 0xcc;
    if (!rgb || (alpha && png->rgba[i + 3] != 0xff)) ++wrong;
  }
  return wrong;
}

// Whether a gst-launch run's output shows a validation message of Geyser's Vulkan devices.
inline bool has_validation_message(const Outcome& o) {
  return o.err.find("geyser: vulkan error") != std::string::npos ||
         o.err.find("geyser: vulkan warning") != std::string::npos;
}

// Empty when the PNG at `file` is a frame of the test pattern bit for bit (its frame
// number read from pixel (0, 0)); else what is wrong. `frame` gets the number (mod 256).
inline std::string pattern_png_error(const std::string& file, std::uint32_t width,
                                     std::uint32_t height, std::uint8_t* frame = nullptr) {
  const auto png = cli_test::decode_png(file);
  if (!png) return file + ": not a PNG";
  if (png->width != width || png->height != height) {
    return file + ": " + std::to_string(png->width) + "x" + std::to_string(png->height);
  }
  const std::uint8_t f = pattern_frame_of(png->rgba);
  if (frame != nullptr) *frame = f;
  const auto mismatch = check_test_pattern(png->rgba, width, height, 4, f);
  return mismatch ? file + ": frame " + std::to_string(f) + ": " + mismatch->to_string() : "";
}

}  // namespace geyser::gst_test
