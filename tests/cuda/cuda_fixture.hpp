// What the CUDA tests share: skipping where there is no CUDA driver (with the loader's
// reason), one CUDA context and one Vulkan device per suite, and the test pattern.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/driver.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::cuda::test {

/// In a test body or SetUp: skips, with Driver::load()'s reason, where there is no usable
/// CUDA driver.
#define GEYSER_REQUIRE_CUDA_DRIVER()                                     \
  do {                                                                   \
    if (auto driver_ = ::geyser::cuda::Driver::load(); !driver_) {       \
      GTEST_SKIP() << "No CUDA driver: " << driver_.error().to_string(); \
    }                                                                    \
  } while (false)

/// A suite that needs CUDA device 0 and a Vulkan device of the same GPU (the exporter).
/// SetUp skips without a CUDA driver or a Vulkan device on the same GPU.
class CudaVulkanTest : public testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  [[nodiscard]] static Context& context() { return *context_; }
  [[nodiscard]] static vulkan::Device& device() { return *device_; }

 private:
  static inline std::unique_ptr<Context> context_;
  static inline std::unique_ptr<vulkan::Device> device_;
  static inline std::string skip_reason_;
};

}  // namespace geyser::cuda::test
