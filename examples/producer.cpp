// Publishes channel NAME and streams the animated test pattern of docs/architecture.md into it.
//
//   geyser-producer [NAME] [FRAMES] [WIDTHxHEIGHT]      (defaults: geyser-example 600 1280x720)
//
// Run examples/consumer.cpp (or `geyser recv NAME --verify`) in another terminal.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/sender.hpp"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  const std::string name = argc > 1 ? argv[1] : "geyser-example";
  const long frames = argc > 2 ? std::atol(argv[2]) : 600;
  geyser::TextureDescriptor desc{.width = 1280, .height = 720};
  if (argc > 3 && std::sscanf(argv[3], "%ux%u", &desc.width, &desc.height) != 2) {
    std::fprintf(stderr, "producer: size must be WIDTHxHEIGHT, got '%s'\n", argv[3]);
    return 2;
  }

  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "producer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  auto sender = geyser::channel::Sender::publish(*device, name, desc);
  if (!sender) {
    std::fprintf(stderr, "producer: %s\n", sender.error().to_string().c_str());
    return 1;
  }
  std::printf("producer: publishing '%s' (%s) on %s\n", name.c_str(),
              geyser::describe(desc).c_str(), device->name().c_str());

  std::vector<std::uint8_t> pixels(geyser::tight_size_bytes(desc));
  for (long i = 0; i < frames; ++i) {
    // Frame numbers start at 1; the pattern of frame f lets any consumer check it.
    const std::uint64_t frame = sender->stats().frames + 1;
    geyser::fill_test_pattern(pixels, desc.width, desc.height, 4, frame);
    auto written = sender->write(pixels, 2s);
    if (!written) {
      std::fprintf(stderr, "producer: frame %llu: %s\n", static_cast<unsigned long long>(frame),
                   written.error().to_string().c_str());
      return 1;
    }
    // ~60 fps: poll() returns at the first message, so keep polling until the frame's time
    // is up, answering receivers meanwhile.
    const auto next = std::chrono::steady_clock::now() + 16ms;
    while (std::chrono::steady_clock::now() < next) {
      (void)sender->poll(std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now()));
    }
    if (frame % 60 == 0) {
      const auto stats = sender->stats();
      std::printf("producer: frame %llu, %.1f fps, %u receivers\n",
                  static_cast<unsigned long long>(stats.frames), stats.fps, stats.receivers);
    }
  }
  return 0;
}
