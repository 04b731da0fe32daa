// What goes wrong, as gst-launch-1.0 shows it: a missing channel, formats neither side can
// carry, a device nobody has, a name already taken, a sender killed with -9 (end of stream, or a
// reconnect with the source's descriptors back at baseline), a receiver killed under geysersink;
// and what gst-inspect-1.0 documents.
#include <signal.h>

#include <filesystem>
#include <string>

#include "gst_fixture.hpp"

namespace geyser::gst_test {
namespace {

class GstErrors : public GstFixture {};

TEST_F(GstErrors, AMissingChannelIsAnErrorNamingIt) {
  const Outcome o = launch_and_wait("geysersrc channel=gst-missing connect-timeout=300 ! fakesink");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("No Geyser channel 'gst-missing'"), std::string::npos) << o.err << o.out;
  EXPECT_NE(o.err.find("connect-timeout"), std::string::npos) << o.err;
}

// GStreamer refuses the link before the sink sees a buffer: linked when the pipeline is
// built, gst-launch names the caps; linked later (a demuxer's pad), the delayed link fails
// on the bus. Nothing is published either way.
TEST_F(GstErrors, AFormatTheSinkCannotCarryIsRefusedAtLinkTime) {
  const Outcome linked = launch_and_wait(
      "videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=64,height=48 ! "
      "geysersink channel=gst-i420");
  EXPECT_NE(linked.exit_code, 0);
  EXPECT_NE((linked.out + linked.err)
                .find("geysersink0 can't handle caps video/x-raw, "
                      "format=(string)I420"),
            std::string::npos)
      << linked.out << linked.err;
  const Outcome made = launch_and_wait(
      "videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=64,height=48 ! matroskamux ! "
      "filesink location=" +
      path("i420.mkv"));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const Outcome late = launch_and_wait("filesrc location=" + path("i420.mkv") +
                                       " ! matroskademux ! geysersink channel=gst-i420");
  EXPECT_NE(late.exit_code, 0);
  const std::string said = late.out + late.err;
  // The delayed link's failure is a warning; when the demuxer stops on its unlinked pad
  // first, gst-launch exits with that error before printing it. Either says the link failed.
  EXPECT_TRUE(said.find("Delayed linking failed") != std::string::npos ||
              said.find("reason not-linked") != std::string::npos)
      << said;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gst-i420.sock")) << "nothing may be published";
}

TEST_F(GstErrors, ADeviceNobodyHasIsAnErrorListingTheDevices) {
  const Outcome o = launch_and_wait(
      "videotestsrc num-buffers=3 ! video/x-raw,format=RGBA,width=64,height=48 ! "
      "geysersink device=31 channel=gst-nodevice");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("Cannot open device '31': Validation"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("no Vulkan device has index 31"), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gst-nodevice.sock")) << "nothing may be published";
}

TEST_F(GstErrors, TheSourceNamesAChannelFormatVideoRawLacks) {
  auto sender = geyser({"send", "gst-float", "--size", "64x48", "--format", "Rgba32Float"});
  const Outcome o = launch_and_wait("geysersrc channel=gst-float ! fakesink");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("carries Rgba32Float, which video/x-raw has no format for"),
            std::string::npos)
      << o.err;
}

TEST_F(GstErrors, ANameALiveSenderHoldsIsRefusedAndTheSenderGoesOn) {
  auto sender = geyser({"send", "gst-taken", "--size", "64x48", "--fps", "30"});
  auto first = geyser({"recv", "gst-taken", "--frames", "3", "--timeout", "20"});
  ASSERT_EQ(first->wait(60s).exit_code, 0);
  const Outcome o = launch_and_wait(
      "videotestsrc num-buffers=3 ! video/x-raw,format=RGBA,width=64,height=48 ! "
      "geysersink channel=gst-taken");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("Cannot publish Geyser channel 'gst-taken'"), std::string::npos) << o.err;
  auto after = geyser({"recv", "gst-taken", "--frames", "10", "--verify", "--timeout", "20"});
  const Outcome r = after->wait(60s);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
}

TEST_F(GstErrors, ASenderKilledEndsTheStreamWithoutReconnect) {
  auto sender = geyser({"send", "gst-kill", "--size", "128x96", "--fps", "30"});
  auto pipeline = launch(
      "geysersrc channel=gst-kill reconnect=false ! pngenc snapshot=false ! "
      "multifilesink location=" +
      path("k%04d.png"));
  ASSERT_TRUE(wait_for_files("k", 5));
  ::kill(sender->pid(), SIGKILL);
  const Outcome o = pipeline->wait(30s);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Got EOS"), std::string::npos) << o.out;
  for (const std::string& png : files("k")) EXPECT_EQ(pattern_png_error(png, 128, 96), "");
}

// Three senders in turn, each killed with -9: the source warns, waits, reconnects, and
// its descriptors come back to what they were with the first sender.
TEST_F(GstErrors, ASenderRestartedIsFollowedWithDescriptorsBackAtBaseline) {
  const std::vector<std::string> send{"send", "gst-again", "--size", "128x96", "--fps", "30"};
  auto sender = geyser(send);
  auto pipeline = launch(
      "geysersrc channel=gst-again ! pngenc snapshot=false ! "
      "multifilesink location=" +
      path("r%04d.png"));
  follow_three_restarts(*pipeline, sender, send, "r");
  const Outcome o = pipeline->stop(SIGINT, 20s);
  EXPECT_NE((o.out + o.err).find("is gone; waiting for it to come back"), std::string::npos)
      << o.out << o.err;
  for (const std::string& png : files("r")) EXPECT_EQ(pattern_png_error(png, 128, 96), "");
}

TEST_F(GstErrors, AReceiverKilledUnderTheSinkLeavesTheOthersReading) {
  auto pipeline = launch(
      "videotestsrc is-live=true pattern=solid-color foreground-color=0xff204060 "
      "! video/x-raw,format=RGBA,width=96,height=64,framerate=30/1 ! "
      "geysersink channel=gst-victim");
  auto victim = geyser({"recv", "gst-victim", "--timeout", "20"});
  auto other = geyser({"recv", "gst-victim", "--timeout", "20", "--frames", "90"});
  std::this_thread::sleep_for(1500ms);
  ::kill(victim->pid(), SIGKILL);
  const Outcome r = other->wait(60s);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  auto later = geyser(
      {"recv", "gst-victim", "--frames", "5", "--png", path("later.png"), "--timeout", "20"});
  EXPECT_EQ(later->wait(60s).exit_code, 0);
  const auto png = cli_test::decode_png(path("later.png"));
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->rgba[0], 0x20);
  const Outcome p = pipeline->stop(SIGINT, 20s);
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_FALSE(has_validation_message(p)) << p.err;
}

TEST_F(GstErrors, InspectDocumentsTheElements) {
  for (const auto& [element, properties] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"geysersrc", {"channel", "runtime-dir", "connect-timeout", "reconnect"}},
           {"geysersink", {"channel", "runtime-dir", "slots", "write-timeout"}}}) {
    Process inspect(GEYSER_GST_INSPECT, {element}, env_);
    const Outcome o = inspect.wait(30s);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    for (const std::string& p : properties) {
      EXPECT_NE(o.out.find("  " + p + " "), std::string::npos) << element << " " << p;
    }
    EXPECT_NE(o.out.find("RGBA64_LE"), std::string::npos);
  }
}

}  // namespace
}  // namespace geyser::gst_test
