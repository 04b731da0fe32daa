// A channel crossing a network link: geysersrc into RTP over UDP on localhost and a second
// pipeline that depayloads into PNGs. Raw video must arrive pixel for pixel; H.264 within a
// tolerance, with a frame count.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "gst_fixture.hpp"

namespace geyser::gst_test {
namespace {

class GstNetwork : public GstFixture {
 protected:
  // A UDP port nobody had bound a moment ago.
  static int free_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    return ntohs(address.sin_port);
  }
  // Why `element` cannot be used here, or empty.
  std::string missing(const std::string& element) {
    Process inspect(GEYSER_GST_INSPECT, {element}, env_);
    const Outcome o = inspect.wait(30s);
    return o.exit_code == 0 ? "" : "GStreamer element " + element + " is not installed";
  }
  // Streams channel `name` through `send` (payloader and udpsink) into `receive` (udpsrc
  // and depayloader) until `frames` PNGs were written, then stops both with EOS.
  void stream(const std::string& name, const std::string& send, const std::string& receive,
              std::size_t frames) {
    auto receiver = launch(
        receive + " ! pngenc snapshot=false ! multifilesink location=" + path("net%04d.png"));
    std::this_thread::sleep_for(500ms);  // udpsrc bound before the first packet
    auto sender = launch("geysersrc channel=" + name + " ! " + send);
    const bool enough = wait_for_files("net", frames, 60s);
    const Outcome s = sender->stop(SIGINT, 20s);
    std::this_thread::sleep_for(500ms);
    const Outcome r = receiver->stop(SIGINT, 20s);
    ASSERT_TRUE(enough) << "only " << files("net").size() << " frames arrived\n"
                        << s.err << "\n"
                        << r.err;
    EXPECT_FALSE(has_validation_message(s)) << s.err;
  }
};

TEST_F(GstNetwork, RawRtpOverLocalhostArrivesPixelForPixel) {
  const int port = free_udp_port();
  auto channel = geyser({"send", "net-raw", "--size", "160x120", "--fps", "15"});
  stream("net-raw", "rtpvrawpay ! udpsink host=127.0.0.1 port=" + std::to_string(port),
         "udpsrc address=127.0.0.1 port=" + std::to_string(port) +
             " buffer-size=8000000 caps=application/x-rtp,media=(string)video,"
             "clock-rate=(int)90000,encoding-name=(string)RAW,sampling=(string)RGBA,"
             "depth=(string)8,width=(string)160,height=(string)120,payload=(int)96 ! "
             "rtpvrawdepay",
         15);
  const auto pngs = files("net");
  for (const std::string& png : pngs) {
    EXPECT_EQ(pattern_png_error(png, 160, 120), "");
  }
}

// What H.264 at x264's defaults and two colour conversions (RGBA to I420 and back) may
// change: a mean per colour byte, out of 255.
constexpr double kH264Tolerance = 8.0;

// The mean absolute difference of an RGBA image's colour bytes from pattern frame `f`.
double mean_difference(const std::vector<std::uint8_t>& rgba, std::uint32_t width,
                       std::uint32_t height, std::uint64_t f) {
  double sum = 0;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      for (std::uint32_t k = 0; k < 3; ++k) {
        const int expected = pattern_byte(x, y, k, f);
        sum += std::abs(int(rgba[(std::size_t{y} * width + x) * 4 + k]) - expected);
      }
    }
  }
  return sum / (double(width) * height * 3);
}

TEST_F(GstNetwork, H264OverRtpArrivesWithinTolerance) {
  for (const char* element : {"x264enc", "avdec_h264"}) {
    if (const std::string why = missing(element); !why.empty()) GTEST_SKIP() << why;
  }
  const int port = free_udp_port();
  auto channel = geyser({"send", "net-h264", "--size", "320x240", "--fps", "15"});
  stream("net-h264",
         "videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! "
         "rtph264pay config-interval=-1 pt=96 ! udpsink host=127.0.0.1 port=" +
             std::to_string(port),
         "udpsrc address=127.0.0.1 port=" + std::to_string(port) +
             " caps=application/x-rtp,media=(string)video,clock-rate=(int)90000,"
             "encoding-name=(string)H264,payload=(int)96 ! rtph264depay ! avdec_h264 ! "
             "videoconvert ! video/x-raw,format=RGBA",
         15);
  const auto pngs = files("net");
  EXPECT_GE(pngs.size(), 15u);
  double worst = 0;
  for (const std::string& file : pngs) {
    const auto png = cli_test::decode_png(file);
    ASSERT_TRUE(png.has_value()) << file;
    ASSERT_EQ(png->width, 320u);
    ASSERT_EQ(png->height, 240u);
    // Blue is the frame number in every pixel, but lossy: the best of its neighbours.
    const int claimed = pattern_frame_of(png->rgba);
    double best = 1e9;
    for (int f = claimed - 4; f <= claimed + 4; ++f) {
      best =
          std::min(best, mean_difference(png->rgba, 320, 240, static_cast<std::uint64_t>(f + 256)));
    }
    worst = std::max(worst, best);
    EXPECT_LT(best, kH264Tolerance) << file;
  }
  RecordProperty("worst_mean_difference", std::to_string(worst));
  std::printf("worst mean difference over %zu frames: %.2f\n", pngs.size(), worst);
}

}  // namespace
}  // namespace geyser::gst_test
