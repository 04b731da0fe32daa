// A Vulkan producer process and an OpenGL consumer process on one channel: the parent
// forks the producer (a vulkan::Sender writing the test pattern), then imports the frames
// into its own headless GL context with opengl::Receiver and checks every one it reads
// through GL (glGetTextureImage).
//
//   geyser-vulkan-to-opengl [FRAMES]      (default 300)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "geyser/opengl/context.hpp"
#include "geyser/opengl/receiver.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/sender.hpp"

namespace {

using namespace std::chrono_literals;
const std::string kName = "geyser-vk-to-gl-" + std::to_string(::getpid());

// The child: publishes kName and writes frames 1..frames, one each time a slot is free.
int produce(long frames) {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "producer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  geyser::TextureDescriptor desc;
  desc.width = 640;
  desc.height = 360;
  desc.usage = geyser::TextureUsage::TransferSrc | geyser::TextureUsage::TransferDst |
               geyser::TextureUsage::Sampled;
  auto sender = geyser::vulkan::Sender::publish(*device, kName, desc);
  if (!sender) {
    std::fprintf(stderr, "producer: %s\n", sender.error().to_string().c_str());
    return 1;
  }
  while (sender->stats().receivers == 0) (void)sender->poll(10ms);
  std::vector<std::uint8_t> pixels(geyser::tight_size_bytes(desc));
  for (long n = 1; n <= frames && sender->stats().receivers > 0;) {
    geyser::fill_test_pattern(pixels, desc.width, desc.height, 4, static_cast<std::uint64_t>(n));
    if (auto written = sender->write(pixels, 100ms); written) {
      ++n;
    } else if (written.error().code() != geyser::ErrorCode::Timeout) {
      std::fprintf(stderr, "producer: %s\n", written.error().to_string().c_str());
      return 1;
    }
    (void)sender->poll();
  }
  // Until the consumer leaves: it takes the last frame before the channel closes.
  while (sender->stats().receivers > 0) (void)sender->poll(10ms);
  return 0;
}

// The parent: a GL context of its own, the receiver in it, every frame read through GL.
int consume(long frames) {
  auto context = geyser::opengl::HeadlessContext::create();
  if (!context) {
    std::fprintf(stderr, "consumer: %s\n", context.error().to_string().c_str());
    return 1;
  }
  auto receiver = geyser::opengl::Receiver::connect(kName, 10s);
  if (!receiver) {
    std::fprintf(stderr, "consumer: %s\n", receiver.error().to_string().c_str());
    return 1;
  }
  std::printf("consumer: '%s' in OpenGL on %s, sync %s\n", kName.c_str(),
              context->renderer().c_str(),
              std::string(geyser::to_string(receiver->stats().sync_mode)).c_str());
  long checked = 0, bad = 0;
  std::uint64_t last = 0;
  while (last < static_cast<std::uint64_t>(frames)) {
    auto frame = receiver->acquire(5s);
    if (!frame) {
      std::fprintf(stderr, "consumer: %s\n", frame.error().to_string().c_str());
      return 1;
    }
    // frame->texture is a GL texture name: sample it, attach it, or read it back.
    auto pixels = geyser::opengl::read_pixels(*frame->gl);
    if (!pixels) {
      std::fprintf(stderr, "consumer: %s\n", pixels.error().to_string().c_str());
      return 1;
    }
    const auto& d = receiver->descriptor();
    if (auto mismatch = geyser::check_test_pattern(*pixels, d.width, d.height, 4, frame->frame)) {
      ++bad;
      std::fprintf(stderr, "consumer: frame %llu: %s\n",
                   static_cast<unsigned long long>(frame->frame), mismatch->to_string().c_str());
    }
    (void)receiver->release();
    last = frame->frame;
    ++checked;
  }
  std::printf("consumer: %ld frames read through OpenGL, %ld bad, %llu skipped\n", checked, bad,
              static_cast<unsigned long long>(receiver->stats().frames_skipped));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 300;
  // Forked before either side touches Vulkan or EGL.
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) _exit(produce(frames));
  const int result = consume(frames);
  if (result != 0) ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  return result != 0 ? result : (WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
