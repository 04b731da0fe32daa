// Devices: headless creation and its identity, adopting the application's objects, and
// listing physical devices.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/test_descriptors.hpp"

namespace geyser::test {
namespace {

// What VkPhysicalDeviceIDProperties says about `physical_device`, asked directly.
DeviceIdentity vulkan_identity(VkPhysicalDevice physical_device) {
  VkPhysicalDeviceIDProperties id{};
  id.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &id;
  vkGetPhysicalDeviceProperties2(physical_device, &properties);
  DeviceIdentity identity;
  std::copy(std::begin(id.driverUUID), std::end(id.driverUUID), identity.driver_uuid.begin());
  std::copy(std::begin(id.deviceUUID), std::end(id.deviceUUID), identity.device_uuid.begin());
  return identity;
}

TEST(DeviceTest, CreateHeadlessReportsAKnownIdentity) {
  auto device = vulkan::Device::create_headless();
  if (!device) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(device.error());
  EXPECT_NE(device->instance(), VK_NULL_HANDLE);
  EXPECT_NE(device->physical_device(), VK_NULL_HANDLE);
  EXPECT_NE(device->device(), VK_NULL_HANDLE);
  EXPECT_NE(device->queue(), VK_NULL_HANDLE);
  EXPECT_NE(device->command_pool(), VK_NULL_HANDLE);
  EXPECT_NE(device->functions().get_memory_fd, nullptr);
  EXPECT_FALSE(device->name().empty());
  EXPECT_EQ(device->name(), std::string(device->properties().deviceName));
  EXPECT_GE(device->properties().apiVersion, vulkan::kMinApiVersion);
  EXPECT_GT(device->memory_properties().memoryTypeCount, 0u);

  EXPECT_TRUE(device->identity().known()) << testing::PrintToString(device->identity());
  EXPECT_EQ(device->identity(), vulkan_identity(device->physical_device()));

  const char* env = std::getenv("GEYSER_VALIDATION");
  EXPECT_EQ(device->validation_enabled(), env != nullptr && std::string(env) == "1");

  auto devices = vulkan::list_physical_devices();
  ASSERT_TRUE(devices) << devices.error().to_string();
  const auto listed = std::find_if(devices->begin(), devices->end(), [&](const auto& summary) {
    return summary.identity == device->identity() && summary.name == device->name();
  });
  ASSERT_NE(listed, devices->end()) << device->name() << " is not in list_physical_devices()";
  EXPECT_TRUE(listed->missing_extensions.empty());
}

TEST(DeviceTest, HeadlessValidationCanBeTurnedOff) {
  vulkan::HeadlessOptions options;
  options.validation = false;
  auto device = vulkan::Device::create_headless(options);
  if (!device) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(device.error());
  EXPECT_FALSE(device->validation_enabled());
}

TEST(DeviceTest, HeadlessPicksByIndexAndName) {
  auto devices = vulkan::list_physical_devices();
  if (!devices) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(devices.error());
  const auto usable = std::find_if(devices->begin(), devices->end(), [](const auto& summary) {
    return summary.missing_extensions.empty();
  });
  if (usable == devices->end()) GTEST_SKIP() << "no device has the extensions Geyser needs";
  vulkan::HeadlessOptions by_index;
  by_index.device_index = usable->index;
  auto device = vulkan::Device::create_headless(by_index);
  ASSERT_TRUE(device) << device.error().to_string();
  EXPECT_EQ(device->identity(), usable->identity);
  EXPECT_EQ(device->name(), usable->name);

  vulkan::HeadlessOptions by_name;
  by_name.device_name_contains = usable->name;
  auto named = vulkan::Device::create_headless(by_name);
  ASSERT_TRUE(named) << named.error().to_string();
  EXPECT_EQ(named->name(), usable->name);

  vulkan::HeadlessOptions by_uuid;
  by_uuid.device_uuid = usable->identity.device_uuid;
  auto twin = vulkan::Device::create_headless(by_uuid);
  ASSERT_TRUE(twin) << twin.error().to_string();
  EXPECT_EQ(twin->identity(), usable->identity);
}

TEST(DeviceTest, HeadlessWithNoMatchingDeviceFails) {
  vulkan::HeadlessOptions by_name;
  by_name.device_name_contains = "no such device, surely";
  auto named = vulkan::Device::create_headless(by_name);
  EXPECT_FALSE(named) << "picked " << named->name();
  if (!named) {
    EXPECT_TRUE(named.error().code() == ErrorCode::Unsupported ||
                named.error().code() == ErrorCode::Validation)
        << named.error().to_string();
  }
  vulkan::HeadlessOptions by_uuid;
  by_uuid.device_uuid = Uuid{0x47, 0x59};
  auto unknown = vulkan::Device::create_headless(by_uuid);
  EXPECT_FALSE(unknown) << "picked " << unknown->name();
  if (!unknown) {
    EXPECT_EQ(unknown.error().code(), ErrorCode::Unsupported) << unknown.error().to_string();
    EXPECT_NE(unknown.error().message().find(to_string(*by_uuid.device_uuid)), std::string::npos);
  }
  vulkan::HeadlessOptions by_index;
  by_index.device_index = 1000;
  auto indexed = vulkan::Device::create_headless(by_index);
  EXPECT_FALSE(indexed) << "picked " << indexed->name();
  if (!indexed) {
    EXPECT_TRUE(indexed.error().code() == ErrorCode::Unsupported ||
                indexed.error().code() == ErrorCode::Validation)
        << indexed.error().to_string();
  }
}

TEST(DeviceTest, ListPhysicalDevicesIsNotEmpty) {
  auto devices = vulkan::list_physical_devices();
  if (!devices) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(devices.error());
  ASSERT_FALSE(devices->empty());
  for (std::size_t i = 0; i < devices->size(); ++i) {
    const auto& summary = (*devices)[i];
    EXPECT_EQ(summary.index, i);
    EXPECT_FALSE(summary.name.empty()) << "device " << i;
    EXPECT_GT(summary.api_version, 0u) << summary.name;
  }
}

TEST(DeviceTest, AdoptNullHandlesIsValidation) {
  EXPECT_TRUE(FailsWith(vulkan::Device::adopt(vulkan::AdoptInfo{}), ErrorCode::Validation));
}

TEST(DeviceTest, MovedDeviceKeepsWorking) {
  auto created = vulkan::Device::create_headless();
  if (!created) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(created.error());
  const VkDevice handle = created->device();
  vulkan::Device moved(std::move(created).value());
  vulkan::Device assigned = std::move(moved);
  EXPECT_EQ(assigned.device(), handle);
  vulkan::VulkanTextureShareManager manager(assigned);
  EXPECT_TRUE(RoundTrip(manager, manager, rgba8(8, 8), 1));
}

// Adopting the objects of a headless device, as an application hands over its own.
class AdoptTest : public OneDeviceTest {
 protected:
  static vulkan::AdoptInfo info_of_headless() {
    vulkan::AdoptInfo info;
    info.instance = device().instance();
    info.physical_device = device().physical_device();
    info.device = device().device();
    info.queue = device().queue();
    info.queue_family_index = device().queue_family_index();
    info.enabled_device_extensions = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME};
    if (device().has_semaphore_fd()) {
      info.enabled_device_extensions.emplace_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    }
    return info;
  }
};

TEST_F(AdoptTest, AnyNullHandleIsValidation) {
  {
    auto info = info_of_headless();
    info.instance = VK_NULL_HANDLE;
    EXPECT_TRUE(FailsWith(vulkan::Device::adopt(info), ErrorCode::Validation)) << "no instance";
  }
  {
    auto info = info_of_headless();
    info.physical_device = VK_NULL_HANDLE;
    EXPECT_TRUE(FailsWith(vulkan::Device::adopt(info), ErrorCode::Validation))
        << "no physical device";
  }
  {
    auto info = info_of_headless();
    info.device = VK_NULL_HANDLE;
    EXPECT_TRUE(FailsWith(vulkan::Device::adopt(info), ErrorCode::Validation)) << "no device";
  }
  {
    auto info = info_of_headless();
    info.queue = VK_NULL_HANDLE;
    EXPECT_TRUE(FailsWith(vulkan::Device::adopt(info), ErrorCode::Validation)) << "no queue";
  }
}

TEST_F(AdoptTest, WithoutExternalMemoryFdIsUnsupportedNamingIt) {
  for (const std::vector<std::string>& extensions :
       {std::vector<std::string>{}, std::vector<std::string>{"VK_KHR_swapchain"}}) {
    auto info = info_of_headless();
    info.enabled_device_extensions = extensions;
    auto adopted = vulkan::Device::adopt(info);
    ASSERT_TRUE(FailsWith(adopted, ErrorCode::Unsupported))
        << extensions.size() << " extension(s) listed";
    EXPECT_NE(adopted.error().message().find(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME),
              std::string::npos)
        << adopted.error().to_string();
  }
}

TEST_F(AdoptTest, AdoptedDeviceSharesTexturesWithItsCreator) {
  auto adopted = vulkan::Device::adopt(info_of_headless());
  ASSERT_TRUE(adopted) << adopted.error().to_string();
  EXPECT_EQ(adopted->instance(), device().instance());
  EXPECT_EQ(adopted->device(), device().device());
  EXPECT_EQ(adopted->queue(), device().queue());
  EXPECT_EQ(adopted->queue_family_index(), device().queue_family_index());
  EXPECT_EQ(adopted->identity(), device().identity());
  EXPECT_EQ(adopted->name(), device().name());
  EXPECT_NE(adopted->functions().get_memory_fd, nullptr);
  {
    vulkan::VulkanTextureShareManager adopted_manager(*adopted);
    EXPECT_TRUE(RoundTrip(manager(), adopted_manager, rgba8(33, 17), 1));
    EXPECT_TRUE(RoundTrip(adopted_manager, manager(), rgba8(33, 17), 11));
  }
  // The adopted Device owns only its command pool: destroying it leaves the headless device
  // (which owns the VkDevice) working.
  { auto gone = std::move(adopted).value(); }
  EXPECT_TRUE(RoundTrip(manager(), manager(), rgba8(8, 8), 21));
}

}  // namespace
}  // namespace geyser::test
