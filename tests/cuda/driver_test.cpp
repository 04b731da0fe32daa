// The driver loader: what a machine without an NVIDIA driver is told, and what one with a
// driver lists. Runs everywhere.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "cuda_fixture.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/driver.hpp"

namespace geyser::cuda {
namespace {

using geyser::test::FailsWith;

// Whether this machine has the driver library, asked the way the loader asks.
bool driver_library_present() {
  void* library = dlopen(kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return false;
  dlclose(library);
  return true;
}

TEST(CudaDriver, AMissingLibraryIsUnsupportedAndSaysThereIsNoDriver) {
  const auto driver = Driver::open("libgeyser-no-such-cuda.so.1");
  ASSERT_TRUE(FailsWith(driver, ErrorCode::Unsupported));
  const std::string& message = driver.error().message();
  EXPECT_EQ(message.rfind("libgeyser-no-such-cuda.so.1 not found: no NVIDIA driver on this "
                          "machine",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("dlopen: "), std::string::npos) << message;
}

TEST(CudaDriver, LoadSaysPlainlyWhenThereIsNoDriver) {
  if (driver_library_present()) GTEST_SKIP() << kDriverLibrary << " is installed here";
  const auto driver = Driver::load();
  ASSERT_TRUE(FailsWith(driver, ErrorCode::Unsupported));
  EXPECT_EQ(driver.error().message().rfind("libcuda.so.1 not found: no NVIDIA driver on this "
                                           "machine",
                                           0),
            0u)
      << driver.error().message();
  // The same answer every time, and from everything that needs the driver.
  EXPECT_EQ(Driver::load().error().message(), driver.error().message());
  EXPECT_TRUE(FailsWith(list_devices(), ErrorCode::Unsupported));
  const auto context = Context::create(0);
  ASSERT_TRUE(FailsWith(context, ErrorCode::Unsupported));
  EXPECT_EQ(context.error().message(), driver.error().message());
}

TEST(CudaDriver, ADriverListsDevicesWithUuids) {
  GEYSER_REQUIRE_CUDA_DRIVER();
  const Driver* driver = *Driver::load();
  EXPECT_GE(driver->version(), CUDA_VERSION);
  const auto devices = list_devices();
  ASSERT_TRUE(geyser::test::Succeeds(devices));
  ASSERT_FALSE(devices->empty());
  for (const DeviceInfo& device : *devices) {
    EXPECT_FALSE(device.name.empty());
    EXPECT_FALSE(is_zero(device.uuid)) << device.name;
  }
  EXPECT_TRUE(FailsWith(Context::create(static_cast<int>(devices->size())), ErrorCode::Validation));
}

TEST(CudaDriver, APrimaryContextIsRetainedAndFoundByUuid) {
  GEYSER_REQUIRE_CUDA_DRIVER();
  auto context = Context::create(0);
  ASSERT_TRUE(geyser::test::Succeeds(context));
  EXPECT_NE(context->get(), nullptr);
  auto same = Context::for_uuid(context->info().uuid);
  ASSERT_TRUE(geyser::test::Succeeds(same));
  EXPECT_EQ(same->get(), context->get());  // the primary context is one per device
  Uuid other = context->info().uuid;
  other[0] ^= 0xff;
  EXPECT_TRUE(FailsWith(Context::for_uuid(other), ErrorCode::DeviceMismatch));
}

TEST(CudaDriver, VersionStrings) {
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(12080), "12.8");
}

}  // namespace
}  // namespace geyser::cuda
