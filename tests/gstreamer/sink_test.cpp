// geysersink: videotestsrc pipelines published as channels and read back by `geyser recv`
// and by geysersrc; a caps change is a new generation that receivers follow.
#include <string>

#include "gst_fixture.hpp"

namespace geyser::gst_test {
namespace {

class GstSink : public GstFixture {};

struct SolidCase {
  const char* format;
  bool alpha;  // RGBx and BGRx carry their x byte as alpha: only RGB is compared
};

class GstSinkSolid : public GstSink, public ::testing::WithParamInterface<SolidCase> {};

// ARGB 0xff3366cc from videotestsrc reads back as R 0x33, G 0x66, B 0xcc in every pixel.
TEST_P(GstSinkSolid, TheColourReadBackIsTheOneSent) {
  const std::string channel = std::string("sink-solid-") + GetParam().format;
  auto pipeline = launch(
      "videotestsrc is-live=true pattern=solid-color foreground-color=0xff3366cc "
      "! video/x-raw,format=" +
      std::string(GetParam().format) +
      ",width=160,height=120,framerate=30/1 ! geysersink channel=" + channel);
  auto recv =
      geyser({"recv", channel, "--frames", "5", "--png", path("solid.png"), "--timeout", "20"});
  const Outcome r = recv->wait(60s);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Outcome p = pipeline->stop(SIGINT, 20s);
  EXPECT_FALSE(has_validation_message(p)) << p.err;
  EXPECT_EQ(solid_colour_errors(path("solid.png"), 160, 120, GetParam().alpha), 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, GstSinkSolid,
                         ::testing::Values(SolidCase{"RGBA", true}, SolidCase{"BGRA", true},
                                           SolidCase{"RGBx", false}, SolidCase{"BGRx", false}),
                         [](const auto& test) { return std::string(test.param.format); });

// `device=0` (the first Vulkan device; lavapipe here): published from that device, the
// colour read back is the one sent.
TEST_F(GstSink, TheDevicePropertyPublishesFromTheDeviceNamed) {
  auto pipeline = launch(
      "videotestsrc is-live=true pattern=solid-color foreground-color=0xff3366cc "
      "! video/x-raw,format=RGBA,width=160,height=120,framerate=30/1 ! geysersink device=0 "
      "channel=sink-device");
  auto recv = geyser(
      {"recv", "sink-device", "--frames", "5", "--png", path("device.png"), "--timeout", "20"});
  const Outcome r = recv->wait(60s);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Outcome p = pipeline->stop(SIGINT, 20s);
  EXPECT_FALSE(has_validation_message(p)) << p.err;
  EXPECT_EQ(solid_colour_errors(path("device.png"), 160, 120, true), 0);
}

// Ten PNGs, five 64x48 then five 80x40, through pngdec into geysersink: geysersrc on the
// other side renegotiates and gets frames of both sizes, each the colour it was.
TEST_F(GstSink, ACapsChangeIsANewGenerationReceiversFollow) {
  for (int i = 0; i < 10; ++i) {
    const bool small = i < 5;
    const Outcome made = launch_and_wait(
        "videotestsrc num-buffers=1 pattern=solid-color foreground-color=" +
        std::string(small ? "0xff102030" : "0xffa0b0c0") +
        " ! video/x-raw,format=RGBA,width=" + (small ? "64,height=48" : "80,height=40") +
        " ! pngenc ! filesink location=" + path("in" + std::to_string(i) + ".png"));
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  auto reader = launch(
      "geysersrc channel=sink-resize connect-timeout=30000 reconnect=false ! "
      "pngenc snapshot=false ! multifilesink location=" +
      path("out%03d.png"));
  const Outcome written = launch_and_wait(
      "multifilesrc location=" + path("in%d.png") +
      " index=0 stop-index=9 caps=image/png,framerate=(fraction)4/1 ! pngdec ! videoconvert ! "
      "video/x-raw,format=RGBA ! geysersink channel=sink-resize");
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_FALSE(has_validation_message(written)) << written.err;
  const Outcome read = reader->wait(30s);  // EOS once the sink unpublished
  ASSERT_EQ(read.exit_code, 0) << read.err;
  int small = 0;
  int large = 0;
  for (const std::string& file : files("out")) {
    const auto png = cli_test::decode_png(file);
    ASSERT_TRUE(png.has_value()) << file;
    if (png->width == 64 && png->height == 48) {
      EXPECT_EQ(png->rgba[0], 0x10) << file;
      ++small;
    } else {
      ASSERT_EQ(png->width, 80u) << file;
      ASSERT_EQ(png->height, 40u) << file;
      EXPECT_EQ(png->rgba[0], 0xa0) << file;
      ++large;
    }
  }
  EXPECT_GT(small, 0);
  EXPECT_GT(large, 0);
}

}  // namespace
}  // namespace geyser::gst_test
