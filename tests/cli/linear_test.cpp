// Linear streams through the `geyser` command (docs/interop-cuda.md, "Linear streams"):
// `geyser send --tiling linear` read by every kind of receiver, each checking every pixel of
// every frame, each saying that the stream is linear and at which row pitch. The CUDA
// receiver gets each frame as a device pointer and checks it with the kernel: 1,000 full
// HD frames in gpu mode where a CUDA driver is (skipped with its reason elsewhere).
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "process.hpp"

namespace geyser::cli_test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Case {
  std::string api;   // the receiver's
  std::string size;  // the stream's
  std::uint32_t width;
  std::uint32_t frames;  // to check
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << c.api << ' ' << c.size;
}

class CliLinear : public CliFixture, public testing::WithParamInterface<Case> {};

TEST_P(CliLinear, EveryReceiverChecksEveryFrameOfALinearStream) {
  const Case& c = GetParam();
  if (c.api != "vulkan" && c.api != "host") {
    if (const std::string why = missing_api(c.api); !why.empty()) GTEST_SKIP() << why;
  }
  Process sender({"send", "lin", "--tiling", "linear", "--size", c.size, "--fps", "0"}, env_);
  ASSERT_FALSE(wait_for_channel("lin").is_null()) << "the sender did not publish";
  const Outcome r = geyser({"recv", "lin", "--api", c.api, "--verify", "--json", "--frames",
                            std::to_string(c.frames), "--timeout", "60"},
                           300s);
  const Outcome s = sender.stop(SIGTERM, 30s);
  if (c.api == "host" && r.exit_code != 0 && r.err.find("Unsupported") != std::string::npos) {
    GTEST_SKIP() << "no host frames here: " << r.err;
  }
  // NVIDIA's GL refuses GL_LINEAR_TILING_EXT: the receiver must say so and exit 1.
  if (c.api == "opengl" && r.exit_code == 1 &&
      r.err.find("cannot import linear images") != std::string::npos) {
    EXPECT_NE(r.err.find("Unsupported"), std::string::npos) << r.err;
    GTEST_SKIP() << "this GL cannot import linear images: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << "\nsender: " << s.out << s.err;
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_NE(s.out.find(" linear, color"), std::string::npos) << s.out;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], c.frames);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["tiling"], "linear");
  EXPECT_GE(summary["row_pitch"].get<std::uint32_t>(), c.width * 4) << r.out;
  EXPECT_EQ(summary["transfer"], c.api == "host" ? "host" : "device");
  if (c.api == "cuda") {
    EXPECT_EQ(summary["sync_mode"], "gpu") << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Receivers, CliLinear,
                         testing::Values(Case{"vulkan", "640x360", 640, 200},
                                         Case{"host", "333x77", 333, 200},
                                         Case{"opengl", "640x360", 640, 200},
                                         Case{"cuda", "1920x1080", 1920, 1000}),
                         [](const testing::TestParamInfo<Case>& p) { return p.param.api; });

// An optimal stream says so, with no row pitch.
TEST_F(CliFixture, OptimalStreamsSayOptimal) {
  Process sender({"send", "opt", "--size", "64x64", "--fps", "60"}, env_);
  ASSERT_FALSE(wait_for_channel("opt").is_null()) << "the sender did not publish";
  const Outcome r = geyser({"recv", "opt", "--json", "--frames", "5", "--timeout", "60"}, 120s);
  EXPECT_EQ(sender.stop(SIGTERM, 30s).exit_code, 0);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["tiling"], "optimal");
  EXPECT_EQ(summary["row_pitch"], 0);
}

// Only Vulkan senders make linear slots: the others say so and exit 1; an unknown tiling is
// a usage error.
TEST_F(CliFixture, LinearFromAnotherApiIsARuntimeErrorAndAnUnknownTilingAUsageError) {
  for (const std::string api : {"opengl", "cuda"}) {
    if (!missing_api(api).empty()) continue;
    const Outcome o =
        geyser({"send", "x", "--api", api, "--tiling", "linear", "--frames", "1"}, 60s);
    EXPECT_EQ(o.exit_code, 1) << api << ": " << o.out << o.err;
    EXPECT_NE(o.err.find("linear slots are made by Vulkan senders only"), std::string::npos)
        << o.err;
  }
  const Outcome bad = geyser({"send", "x", "--tiling", "diagonal"}, 30s);
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

}  // namespace
}  // namespace geyser::cli_test
