// video/x-raw(memory:GLMemory) through both elements, under an Xvfb server each test starts
// and stops: GStreamer 1.22's GL has no working surfaceless platform, so GstGL runs EGL on
// X11 there (llvmpipe on this machine), and geyser's OpenGL ends run in GstGL's contexts.
#include <signal.h>

#include <filesystem>
#include <string>

#include "gst_fixture.hpp"

namespace geyser::gst_test {
namespace {

class GstGl : public GstFixture {
 protected:
  void SetUp() override {
    GstFixture::SetUp();
    if (std::string(GEYSER_XVFB).empty()) GTEST_SKIP() << "Xvfb not found (Debian: xvfb)";
    // -displayfd: the server picks a free display and writes its number when it is ready.
    xvfb_ = std::make_unique<Process>(
        GEYSER_XVFB, std::vector<std::string>{"-displayfd", "1", "-nolisten", "tcp", "-screen", "0",
                                              "640x480x24"});
    ASSERT_TRUE(
        xvfb_->read_until([](const std::string& out,
                             const std::string&) { return out.find('\n') != std::string::npos; },
                          20s))
        << "Xvfb did not start: " << xvfb_->err();
    const std::string display = ":" + xvfb_->out().substr(0, xvfb_->out().find('\n'));
    gl_env_ = {{"DISPLAY", display}, {"GST_GL_PLATFORM", "egl"}, {"GST_GL_WINDOW", "x11"}};
    const Outcome probe = launch_and_wait("gltestsrc num-buffers=1 ! fakesink", 30s, gl_env_);
    if (probe.exit_code != 0) GTEST_SKIP() << "GstGL cannot make a context here: " << probe.err;
  }
  void TearDown() override {
    if (xvfb_ != nullptr) xvfb_->stop(SIGTERM, 10s);
    GstFixture::TearDown();
  }
  std::unique_ptr<Process> launch_gl(const std::string& pipeline) {
    return launch(pipeline, gl_env_);
  }
  Outcome launch_gl_and_wait(const std::string& pipeline) {
    return launch_and_wait(pipeline, 60s, gl_env_);
  }
  // `geyser recv channel --png file` of the fifth frame, with the GL environment.
  Outcome receive_png(const std::string& channel, const std::string& file) {
    return geyser({"recv", channel, "--frames", "5", "--png", path(file), "--timeout", "20"})
        ->wait(60s);
  }

  std::unique_ptr<Process> xvfb_;
  Env gl_env_;
};

constexpr const char* kToGl = " ! glupload ! video/x-raw(memory:GLMemory),format=RGBA ! ";
constexpr const char* kFromGl =
    " ! video/x-raw(memory:GLMemory) ! gldownload ! video/x-raw,format=RGBA ! ";

// videotestsrc's ARGB 0xff3366cc uploaded by glupload and published from GL memory reads
// back as (0x33, 0x66, 0xcc, 0xff) in every pixel.
TEST_F(GstGl, SinkPublishesGlMemoryTheColourReadBackIsTheOneSent) {
  auto pipeline = launch_gl(
      "videotestsrc is-live=true pattern=solid-color foreground-color=0xff3366cc ! "
      "video/x-raw,format=RGBA,width=160,height=120,framerate=30/1" +
      std::string(kToGl) + "geysersink channel=gl-solid");
  const Outcome r = receive_png("gl-solid", "solid.png");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Outcome p = pipeline->stop(SIGINT, 20s);
  EXPECT_FALSE(has_validation_message(p)) << p.err;
  EXPECT_EQ(solid_colour_errors(path("solid.png"), 160, 120, true), 0);
}

// videotestsrc's colour spread (a different colour in every pixel) published from GL memory
// and from system memory reads back byte for byte the same: rows in the same order,
// nothing converted on the way.
TEST_F(GstGl, SinkFromGlMemoryMatchesSystemMemoryByteForByte) {
  const std::string source =
      "videotestsrc is-live=true pattern=colors ! "
      "video/x-raw,format=RGBA,width=160,height=120,framerate=30/1";
  auto gl = launch_gl(source + kToGl + "geysersink channel=gl-bars");
  auto system = launch_gl(source + " ! geysersink channel=sys-bars");
  const Outcome from_gl = receive_png("gl-bars", "gl.png");
  const Outcome from_system = receive_png("sys-bars", "sys.png");
  ASSERT_EQ(from_gl.exit_code, 0) << from_gl.err;
  ASSERT_EQ(from_system.exit_code, 0) << from_system.err;
  gl->stop(SIGINT, 20s);
  system->stop(SIGINT, 20s);
  const auto a = cli_test::decode_png(path("gl.png"));
  const auto b = cli_test::decode_png(path("sys.png"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->rgba, b->rgba);
  EXPECT_NE(a->rgba[0], a->rgba[a->rgba.size() - 4]);  // not one colour
}

// `geyser send` read by geysersrc into GL memory, downloaded: every frame the pattern.
TEST_F(GstGl, SourceGivesGlMemoryFramesMatchThePattern) {
  auto sender = geyser({"send", "gl-src", "--size", "96x64", "--fps", "30"});
  const Outcome o =
      launch_gl_and_wait("geysersrc channel=gl-src num-buffers=12" + std::string(kFromGl) +
                         "pngenc snapshot=false ! multifilesink location=" + path("f%03d.png"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(has_validation_message(o)) << o.err;
  const auto pngs = files("f");
  ASSERT_EQ(pngs.size(), 12u);
  for (const std::string& file : pngs) EXPECT_EQ(pattern_png_error(file, 96, 64), "");
}

// A channel relayed on the GPU: geysersrc in GL memory straight into geysersink, read by
// `geyser recv` on the other side; the frames are the pattern (their numbers travel in
// the pixels).
TEST_F(GstGl, GlMemoryRelayKeepsThePattern) {
  auto sender = geyser({"send", "gl-in", "--size", "96x64", "--fps", "30"});
  auto relay = launch_gl(
      "geysersrc channel=gl-in ! video/x-raw(memory:GLMemory) ! geysersink channel=gl-out");
  const Outcome r = receive_png("gl-out", "relayed.png");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Outcome p = relay->stop(SIGINT, 20s);
  EXPECT_FALSE(has_validation_message(p)) << p.err;
  EXPECT_EQ(pattern_png_error(path("relayed.png"), 96, 64), "");
}

// GL memory across sender restarts: three senders in turn, each killed with -9; the source
// reconnects its OpenGL receiver on the GL thread, every frame downloaded is the pattern,
// and its descriptors come back to what they were with the first sender.
TEST_F(GstGl, ASenderRestartedIsFollowedInGlMemoryWithDescriptorsBackAtBaseline) {
  const std::vector<std::string> send{"send", "gl-again", "--size", "96x64", "--fps", "30"};
  auto sender = geyser(send);
  auto pipeline = launch_gl("geysersrc channel=gl-again" + std::string(kFromGl) +
                            "pngenc snapshot=false ! multifilesink location=" + path("r%04d.png"));
  follow_three_restarts(*pipeline, sender, send, "r");
  const Outcome o = pipeline->stop(SIGINT, 20s);
  EXPECT_FALSE(has_validation_message(o)) << o.err;
  for (const std::string& png : files("r")) EXPECT_EQ(pattern_png_error(png, 96, 64), "");
}

// glimagesink shows a channel from GL memory (in the Xvfb window) and ends cleanly.
TEST_F(GstGl, GlimagesinkDisplaysAChannel) {
  auto sender = geyser({"send", "gl-show", "--size", "96x64", "--fps", "30"});
  const Outcome o = launch_gl_and_wait(
      "geysersrc channel=gl-show num-buffers=20 ! video/x-raw(memory:GLMemory) ! glimagesink");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err.find("ERROR"), std::string::npos) << o.err;
}

// A channel in R16Unorm (GRAY16_LE) has no GL memory form here: a bus error that says so.
TEST_F(GstGl, AFormatGlMemoryCannotCarryIsABusError) {
  auto sender =
      geyser({"send", "gl-gray16", "--size", "32x32", "--fps", "30", "--format", "R16Unorm"});
  const Outcome o =
      launch_gl_and_wait("geysersrc channel=gl-gray16" + std::string(kFromGl) + "fakesink");
  EXPECT_EQ(o.exit_code, 1) << o.err << o.out;
  EXPECT_NE(o.err.find("carries GRAY16_LE, which geysersrc gives in system memory only"),
            std::string::npos)
      << o.err;
}

// GL memory is published on its GL context's device: geysersink's device property, which
// picks the Vulkan device for system memory, is refused then, and nothing is published.
TEST_F(GstGl, TheDevicePropertyWithGlMemoryIsABusError) {
  const Outcome o = launch_gl_and_wait(
      "videotestsrc num-buffers=3 ! video/x-raw,format=RGBA,width=64,height=48 ! glupload ! "
      "video/x-raw(memory:GLMemory) ! geysersink device=0 channel=gl-device");
  EXPECT_NE(o.exit_code, 0) << o.err << o.out;
  EXPECT_NE(o.err.find("The device property applies to system memory"), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gl-device.sock")) << "nothing may be published";
}

}  // namespace
}  // namespace geyser::gst_test
