// An OpenGL producer process and a Vulkan consumer process on one channel: the child draws
// every frame with OpenGL into the texture opengl::Sender hands out (a framebuffer clear and
// a moving scissored rectangle), the parent imports the frames with vulkan::Receiver and
// checks every pixel of every frame it reads.
//
//   geyser-opengl-to-vulkan [FRAMES]      (default 300)
#include <epoxy/gl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "geyser/opengl/context.hpp"
#include "geyser/opengl/sender.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace {

using namespace std::chrono_literals;
const std::string kName = "geyser-gl-to-vk-" + std::to_string(::getpid());
constexpr std::uint32_t kWidth = 640, kHeight = 360, kBox = 64;

// What frame n looks like: a background colour and a box whose place moves with n.
struct Scene {
  std::array<std::uint8_t, 4> background, box;
  std::uint32_t x, y;
};
Scene scene(std::uint64_t n) {
  const auto v = static_cast<std::uint8_t>(n * 7);
  return {{v, static_cast<std::uint8_t>(255 - v), 40, 255},
          {255, v, static_cast<std::uint8_t>(n % 200), 255},
          static_cast<std::uint32_t>(n * 13 % (kWidth - kBox)),
          static_cast<std::uint32_t>(n * 5 % (kHeight - kBox))};
}

// Draws frame n into `texture` through a framebuffer of its own.
void draw(GLuint fbo, GLuint texture, std::uint64_t n) {
  const Scene s = scene(n);
  glNamedFramebufferTexture(fbo, GL_COLOR_ATTACHMENT0, texture, 0);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo);
  glViewport(0, 0, kWidth, kHeight);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(s.background[0] / 255.0f, s.background[1] / 255.0f, s.background[2] / 255.0f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  // Row 0 of the texture is row 0 of the image (the top): GL's y counts from it here too.
  glEnable(GL_SCISSOR_TEST);
  glScissor(static_cast<GLint>(s.x), static_cast<GLint>(s.y), kBox, kBox);
  glClearColor(s.box[0] / 255.0f, s.box[1] / 255.0f, s.box[2] / 255.0f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  glDisable(GL_SCISSOR_TEST);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
}

int produce(long frames) {
  auto context = geyser::opengl::HeadlessContext::create();
  if (!context) {
    std::fprintf(stderr, "producer: %s\n", context.error().to_string().c_str());
    return 1;
  }
  geyser::TextureDescriptor desc;
  desc.width = kWidth;
  desc.height = kHeight;
  desc.usage = geyser::TextureUsage::ColorAttachment | geyser::TextureUsage::TransferSrc |
               geyser::TextureUsage::Sampled;
  auto sender = geyser::opengl::Sender::publish(kName, desc);
  if (!sender) {
    std::fprintf(stderr, "producer: %s\n", sender.error().to_string().c_str());
    return 1;
  }
  GLuint fbo = 0;
  glCreateFramebuffers(1, &fbo);
  while (sender->stats().receivers == 0) (void)sender->poll(10ms);
  for (long n = 1; n <= frames && sender->stats().receivers > 0;) {
    auto frame = sender->acquire(100ms);
    if (!frame) {
      (void)sender->poll();
      continue;  // the consumer holds every slot for now
    }
    draw(fbo, frame->texture, frame->frame);
    if (auto presented = sender->present(*frame); !presented) {
      std::fprintf(stderr, "producer: %s\n", presented.error().to_string().c_str());
      return 1;
    }
    ++n;
  }
  while (sender->stats().receivers > 0) (void)sender->poll(10ms);
  glDeleteFramebuffers(1, &fbo);
  return 0;
}

// Every pixel of frame n as scene(n) says: the number of those that are not.
std::size_t wrong_pixels(const std::vector<std::uint8_t>& pixels, std::uint64_t n) {
  const Scene s = scene(n);
  std::size_t wrong = 0;
  for (std::uint32_t y = 0; y < kHeight; ++y) {
    for (std::uint32_t x = 0; x < kWidth; ++x) {
      const bool in_box = x >= s.x && x < s.x + kBox && y >= s.y && y < s.y + kBox;
      const auto& want = in_box ? s.box : s.background;
      const std::uint8_t* got = &pixels[(static_cast<std::size_t>(y) * kWidth + x) * 4];
      for (int c = 0; c < 4; ++c) wrong += got[c] != want[c] ? 1 : 0;
    }
  }
  return wrong;
}

int consume(long frames) {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "consumer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  auto receiver = geyser::vulkan::Receiver::connect(*device, kName, 10s);
  if (!receiver) {
    std::fprintf(stderr, "consumer: %s\n", receiver.error().to_string().c_str());
    return 1;
  }
  std::printf("consumer: '%s' drawn by OpenGL, read by Vulkan on %s, sync %s\n", kName.c_str(),
              device->name().c_str(),
              std::string(geyser::to_string(receiver->stats().sync_mode)).c_str());
  long checked = 0, bad = 0;
  std::uint64_t last = 0;
  while (last < static_cast<std::uint64_t>(frames)) {
    auto frame = receiver->acquire(5s);
    if (!frame) {
      std::fprintf(stderr, "consumer: %s\n", frame.error().to_string().c_str());
      return 1;
    }
    auto pixels = geyser::vulkan::readback(*frame->texture);
    if (!pixels) {
      std::fprintf(stderr, "consumer: %s\n", pixels.error().to_string().c_str());
      return 1;
    }
    if (const std::size_t wrong = wrong_pixels(*pixels, frame->frame); wrong != 0) {
      ++bad;
      std::fprintf(stderr, "consumer: frame %llu: %zu bytes differ from what GL drew\n",
                   static_cast<unsigned long long>(frame->frame), wrong);
    }
    (void)receiver->release();
    last = frame->frame;
    ++checked;
  }
  std::printf("consumer: %ld frames drawn by OpenGL checked, %ld bad, %llu skipped\n", checked, bad,
              static_cast<unsigned long long>(receiver->stats().frames_skipped));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 300;
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) _exit(produce(frames));
  const int result = consume(frames);
  if (result != 0) ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  return result != 0 ? result : (WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
