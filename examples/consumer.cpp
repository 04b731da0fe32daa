// Connects to channel NAME, imports its textures once, and checks every frame it gets
// against the test pattern.
//
//   geyser-consumer [NAME] [FRAMES]      (defaults: geyser-example 300)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  const std::string name = argc > 1 ? argv[1] : "geyser-example";
  const long frames = argc > 2 ? std::atol(argv[2]) : 300;

  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "consumer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  auto receiver = geyser::channel::Receiver::connect(*device, name, 10s);
  if (!receiver) {
    std::fprintf(stderr, "consumer: %s\n", receiver.error().to_string().c_str());
    return 1;
  }
  const auto& desc = receiver->descriptor();
  std::printf("consumer: connected to '%s' (%s, sync %s)\n", name.c_str(),
              geyser::describe(desc).c_str(),
              std::string(geyser::to_string(receiver->stats().sync_mode)).c_str());

  long checked = 0, bad = 0;
  while (checked < frames) {
    auto frame = receiver->acquire(2s);
    if (!frame) {
      std::fprintf(stderr, "consumer: %s\n", frame.error().to_string().c_str());
      if (frame.error().code() == geyser::ErrorCode::Disconnected) continue;  // it reconnects
      return 1;
    }
    auto pixels = geyser::vulkan::readback(*frame->texture);
    if (!pixels) {
      std::fprintf(stderr, "consumer: readback: %s\n", pixels.error().to_string().c_str());
      return 1;
    }
    const auto& d = frame->texture->descriptor();
    if (auto mismatch = geyser::check_test_pattern(*pixels, d.width, d.height, 4, frame->frame)) {
      ++bad;
      std::fprintf(stderr, "consumer: frame %llu: %s\n",
                   static_cast<unsigned long long>(frame->frame), mismatch->to_string().c_str());
    }
    ++checked;
  }
  const auto stats = receiver->stats();
  std::printf("consumer: %ld frames checked, %ld bad, %llu skipped, %llu imports\n", checked, bad,
              static_cast<unsigned long long>(stats.frames_skipped),
              static_cast<unsigned long long>(stats.imports));
  return bad == 0 ? 0 : 1;
}
