// geysersrc: `geyser send` read by gst-launch-1.0 pipelines into PNGs, each checked against
// the test pattern bit for bit; buffers held downstream while the sender races on.
#include <regex>
#include <string>

#include "gst_fixture.hpp"

namespace geyser::gst_test {
namespace {

class GstSource : public GstFixture {};

// The PNGs starting with `prefix` are all frames of the pattern, at rising frame numbers.
void expect_pattern_pngs(const std::vector<std::string>& pngs, std::uint32_t width,
                         std::uint32_t height) {
  int previous = -1;
  for (const std::string& png : pngs) {
    std::uint8_t frame = 0;
    EXPECT_EQ(pattern_png_error(png, width, height, &frame), "");
    if (previous >= 0) {
      EXPECT_NE(frame, previous) << png << " repeats a frame";
    }
    previous = frame;
  }
}

TEST_F(GstSource, ReadsTheTestPatternIntoPngs) {
  auto sender = geyser({"send", "src-png", "--size", "320x240", "--fps", "60"});
  const Outcome o = launch_and_wait(
      "geysersrc channel=src-png num-buffers=20 ! pngenc "
      "snapshot=false ! multifilesink location=" +
      path("f%03d.png"));
  ASSERT_EQ(o.exit_code, 0) << o.err << o.out;
  EXPECT_FALSE(has_validation_message(o)) << o.err;
  const auto pngs = files("f");
  ASSERT_EQ(pngs.size(), 20u);
  expect_pattern_pngs(pngs, 320, 240);
}

// A queue keeps 15 buffers while the sender writes as fast as it can: the frames those
// buffers show are released and their slots rewritten meanwhile, so each one is copied
// first (host_views.hpp), and every PNG is still the frame it was, untorn.
TEST_F(GstSource, BuffersHeldDownstreamKeepTheirFrame) {
  auto sender = geyser({"send", "src-held", "--size", "256x128", "--fps", "0"});
  const Outcome o = launch_and_wait(
      "geysersrc channel=src-held num-buffers=40 ! queue max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=0 min-threshold-buffers=15 ! pngenc snapshot=false ! multifilesink "
      "location=" +
          path("h%03d.png"),
      90s, {{"GST_DEBUG", "geysersrc:5"}});
  ASSERT_EQ(o.exit_code, 0) << o.err << o.out;
  const auto pngs = files("h");
  ASSERT_EQ(pngs.size(), 40u);
  expect_pattern_pngs(pngs, 256, 128);
  std::smatch copies;
  ASSERT_TRUE(std::regex_search(o.err, copies, std::regex("(\\d+) frames were copied")))
      << o.err.substr(0, 4000);
  EXPECT_GT(std::stoi(copies[1]), 0) << "the queue held buffers, yet none was copied";
}

// A buffer that downstream releases before the next frame is the slot itself: no copy. (A
// sink that keeps its last sample, as every GstBaseSink does by default, would make one.)
TEST_F(GstSource, BuffersReleasedAtOnceAreNeverCopied) {
  auto sender = geyser({"send", "src-nocopy", "--size", "256x128", "--fps", "120"});
  const Outcome o = launch_and_wait(
      "geysersrc channel=src-nocopy num-buffers=30 ! fakesink enable-last-sample=false", 60s,
      {{"GST_DEBUG", "geysersrc:5"}});
  ASSERT_EQ(o.exit_code, 0) << o.err << o.out;
  std::smatch copies;
  ASSERT_TRUE(std::regex_search(o.err, copies, std::regex("(\\d+) frames were copied")));
  EXPECT_EQ(copies[1], "0");
}

}  // namespace
}  // namespace geyser::gst_test
