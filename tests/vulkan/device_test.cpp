// Devices: headless creation and its identity, adopting the application's objects, and
// listing physical devices.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// The family create_headless should have taken a transfer queue on: TRANSFER without
// GRAPHICS and COMPUTE, other than the main family; asked of the driver directly.
std::optional<std::uint32_t> dedicated_transfer_family(VkPhysicalDevice physical,
                                                       std::uint32_t main) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, families.data());
  for (std::uint32_t i = 0; i < count; ++i) {
    const VkQueueFlags flags = families[i].queueFlags;
    if (i != main && (flags & VK_QUEUE_TRANSFER_BIT) &&
        !(flags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))) {
      return i;
    }
  }
  return std::nullopt;
}

TEST(DeviceTest, HeadlessTakesATransferQueueExactlyWhenTheDeviceHasACopyEngine) {
  auto device = vulkan::Device::create_headless();
  if (!device) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(device.error());
  const vulkan::QueueInfo main = device->main_queue();
  EXPECT_EQ(main.queue, device->queue());
  EXPECT_EQ(main.family_index, device->queue_family_index());
  EXPECT_EQ(main.command_pool, device->command_pool());
  const auto expected =
      dedicated_transfer_family(device->physical_device(), device->queue_family_index());
  const vulkan::QueueInfo* transfer = device->transfer_queue();
  ASSERT_EQ(transfer != nullptr, expected.has_value())
      << device->name() << (expected ? " has" : " has no") << " dedicated transfer family";
  if (transfer != nullptr) {
    EXPECT_EQ(transfer->family_index, *expected);
    EXPECT_NE(transfer->queue, VK_NULL_HANDLE);
    EXPECT_NE(transfer->queue, device->queue());
    EXPECT_NE(transfer->command_pool, VK_NULL_HANDLE);
    EXPECT_NE(transfer->command_pool, device->command_pool());
  }

  vulkan::HeadlessOptions without;
  without.transfer_queue = false;
  auto plain = vulkan::Device::create_headless(without);
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(plain->transfer_queue(), nullptr);
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

TEST_F(AdoptTest, TransferQueueOfTheMainOrAMissingFamilyIsValidation) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device().physical_device(), &count, nullptr);
  for (const std::uint32_t family : {device().queue_family_index(), count}) {
    auto info = info_of_headless();
    info.transfer_queue = device().queue();
    info.transfer_queue_family_index = family;
    auto adopted = vulkan::Device::adopt(info);
    ASSERT_TRUE(FailsWith(adopted, ErrorCode::Validation)) << "family " << family;
    EXPECT_NE(adopted.error().message().find("transfer_queue_family_index"), std::string::npos)
        << adopted.error().to_string();
  }
  // Without one, the adopted device copies on its main queue.
  auto adopted = vulkan::Device::adopt(info_of_headless());
  ASSERT_TRUE(adopted) << adopted.error().to_string();
  EXPECT_EQ(adopted->transfer_queue(), nullptr);
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
  if (const vulkan::QueueInfo* transfer = device().transfer_queue()) {
    // The application hands over its transfer queue too; Geyser makes its own pool on it.
    auto info = info_of_headless();
    info.transfer_queue = transfer->queue;
    info.transfer_queue_family_index = transfer->family_index;
    auto with_transfer = vulkan::Device::adopt(info);
    ASSERT_TRUE(with_transfer) << with_transfer.error().to_string();
    ASSERT_NE(with_transfer->transfer_queue(), nullptr);
    EXPECT_EQ(with_transfer->transfer_queue()->queue, transfer->queue);
    EXPECT_EQ(with_transfer->transfer_queue()->family_index, transfer->family_index);
    EXPECT_NE(with_transfer->transfer_queue()->command_pool, VK_NULL_HANDLE);
    EXPECT_NE(with_transfer->transfer_queue()->command_pool, transfer->command_pool);
  }
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
