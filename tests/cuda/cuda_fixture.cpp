#include "cuda_fixture.hpp"

#include "geyser/cuda/identity.hpp"

namespace geyser::cuda::test {

void CudaVulkanTest::SetUpTestSuite() {
  auto context = Context::create(0);
  if (!context) {
    skip_reason_ = "No CUDA driver or device: " + context.error().to_string();
    return;
  }
  // The Vulkan device of the same GPU: the one whose deviceUUID is the CUDA device's.
  auto devices = vulkan::list_physical_devices();
  if (!devices) {
    skip_reason_ = "No Vulkan devices: " + devices.error().to_string();
    return;
  }
  for (const auto& summary : *devices) {
    if (summary.identity.device_uuid != context->info().uuid) continue;
    vulkan::HeadlessOptions options;
    options.device_index = summary.index;
    auto device = vulkan::Device::create_headless(options);
    if (!device) {
      skip_reason_ = "The Vulkan device of " + context->info().name +
                     " does not open: " + device.error().to_string();
      return;
    }
    device_ = std::make_unique<vulkan::Device>(std::move(device).value());
    context_ = std::make_unique<Context>(std::move(context).value());
    return;
  }
  skip_reason_ = "No Vulkan device is CUDA device 0 (" + context->info().name + ", " +
                 to_string(context->info().uuid) + ")";
}

void CudaVulkanTest::TearDownTestSuite() {
  context_.reset();
  device_.reset();
  skip_reason_.clear();
}

void CudaVulkanTest::SetUp() {
  if (!context_ || !device_) GTEST_SKIP() << skip_reason_;
}

}  // namespace geyser::cuda::test
