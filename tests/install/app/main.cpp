// Creates a shareable texture, exports it and imports it again through the installed package,
// then checks the pixels: proof that the headers, libraries and CMake package work together.
#include <cstdio>
#include <vector>

#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/sender.hpp"

int main() {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "%s\n", device.error().to_string().c_str());
    return 1;
  }
  geyser::vulkan::VulkanTextureShareManager manager(*device);
  const geyser::TextureDescriptor desc{.width = 64, .height = 32};
  auto texture = manager.create(desc);
  if (!texture) return 1;
  std::vector<std::uint8_t> pixels(geyser::tight_size_bytes(desc));
  geyser::fill_test_pattern(pixels, desc.width, desc.height, 4, 5);
  if (!geyser::vulkan::upload(**texture, pixels)) return 1;
  auto handle = manager.export_texture(**texture);
  if (!handle) return 1;
  auto imported = manager.import(*handle);
  if (!imported) return 1;
  auto back = geyser::vulkan::readback(**imported);
  if (!back || geyser::check_test_pattern(*back, desc.width, desc.height, 4, 5)) return 1;
  std::printf("installed geyser works: %s shared on %s\n", geyser::describe(desc).c_str(),
              device->name().c_str());
  return 0;
}
