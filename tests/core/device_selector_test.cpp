// The device SPEC of `--device` and the selector the C API builds: parsing, matching, and
// the Validation error that lists what exists.
#include "geyser/device_selector.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace geyser {
namespace {

constexpr Uuid kLavapipe{0x6d, 0x65, 0x73, 0x61, 0x32, 0x32, 0x2e, 0x33,
                         0x2e, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
constexpr Uuid kOther{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

std::vector<ListedDevice> two_devices() {
  return {{0, "llvmpipe (LLVM 15.0.6, 256 bits)", kLavapipe}, {1, "NVIDIA H200", kOther}};
}

TEST(DeviceSpecTest, DigitsAreAnIndex) {
  auto selector = parse_device_spec("1");
  ASSERT_TRUE(selector);
  EXPECT_EQ(selector->index, 1u);
  EXPECT_FALSE(selector->uuid);
  EXPECT_TRUE(selector->name_contains.empty());
  EXPECT_EQ(parse_device_spec("0")->index, 0u);
}

TEST(DeviceSpecTest, UuidWithOrWithoutDashesAnyCase) {
  for (const char* text :
       {"6d657361-3232-2e33-2e36-000000000000", "6D65736132322E332E36000000000000",
        "6d65-7361-3232-2e332e36000000000000"}) {
    auto selector = parse_device_spec(text);
    ASSERT_TRUE(selector) << text;
    ASSERT_TRUE(selector->uuid) << text;
    EXPECT_EQ(*selector->uuid, kLavapipe) << text;
    EXPECT_FALSE(selector->index) << text;
  }
  // 32 decimal digits are a UUID, not an index.
  auto digits = parse_device_spec("01020304050607080910111213141516");
  ASSERT_TRUE(digits && digits->uuid);
  EXPECT_EQ((*digits->uuid)[15], 0x16);
}

TEST(DeviceSpecTest, AnythingElseIsAName) {
  for (const char* text : {"llvmpipe", "H200", "6d657361", "1x", "-1",
                           "6d657361-3232-2e33-2e36-0000000000000",  // 33 digits
                           "6d657361-3232-2e33-2e36-00000000000g"}) {
    auto selector = parse_device_spec(text);
    ASSERT_TRUE(selector) << text;
    EXPECT_EQ(selector->name_contains, text);
    EXPECT_FALSE(selector->index || selector->uuid) << text;
  }
  // Too large for an index: a name (which matches nothing).
  EXPECT_EQ(parse_device_spec("99999999999")->name_contains, "99999999999");
  EXPECT_FALSE(parse_device_spec(""));
}

TEST(DeviceSpecTest, ParseUuidRoundTripsToString) {
  EXPECT_EQ(parse_uuid(to_string(kOther)), kOther);
  EXPECT_FALSE(parse_uuid("not a uuid"));
  EXPECT_FALSE(parse_uuid(""));
}

TEST(DeviceSelectorTest, FindsByIndexUuidAndName) {
  const auto devices = two_devices();
  EXPECT_EQ(find_device(*parse_device_spec("1"), devices, "Vulkan")->name, "NVIDIA H200");
  EXPECT_EQ(find_device(*parse_device_spec(to_string(kLavapipe)), devices, "Vulkan")->index, 0u);
  EXPECT_EQ(find_device(*parse_device_spec("llvmpipe"), devices, "Vulkan")->index, 0u);
  EXPECT_EQ(find_device(DeviceSelector{}, devices, "Vulkan")->index, 0u);
  // Every field that is set must match.
  DeviceSelector both{.index = 1, .uuid = kLavapipe};
  EXPECT_FALSE(find_device(both, devices, "Vulkan"));
}

TEST(DeviceSelectorTest, NoMatchIsValidationNamingTheAskAndTheDevices) {
  const auto devices = two_devices();
  auto missing = find_device(*parse_device_spec("7"), devices, "CUDA");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::Validation);
  const std::string& message = missing.error().message();
  EXPECT_NE(message.find("no CUDA device has index 7"), std::string::npos) << message;
  EXPECT_NE(message.find("0: llvmpipe (LLVM 15.0.6, 256 bits) (UUID " + to_string(kLavapipe)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("1: NVIDIA H200"), std::string::npos) << message;

  auto unknown = find_device(DeviceSelector{.uuid = Uuid{0x47}}, devices, "Vulkan");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("UUID 47000000-"), std::string::npos);
  auto none = find_device(DeviceSelector{.index = 0}, {}, "CUDA");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("devices are: none"), std::string::npos);
}

TEST(DeviceSelectorTest, DescribesItself) {
  EXPECT_EQ(to_string(DeviceSelector{}), "any device");
  EXPECT_EQ(to_string(DeviceSelector{.index = 2, .name_contains = "H200"}),
            "index 2 and name containing \"H200\"");
}

}  // namespace
}  // namespace geyser
