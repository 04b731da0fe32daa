// Helpers for the Vulkan tests: devices shared by a test suite, the test pattern written and
// checked through a texture, and assertions that print Geyser errors.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/format.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/process_stats.hpp"

namespace geyser {

// Readable gtest output for the handle's parts.
inline void PrintTo(const TextureDescriptor& desc, std::ostream* os) {
  *os << describe(desc) << " usage 0x" << std::hex << static_cast<std::uint32_t>(desc.usage)
      << std::dec << " mips " << desc.mip_levels << " layers " << desc.array_layers;
}
inline void PrintTo(const DeviceIdentity& identity, std::ostream* os) {
  *os << "driver " << to_string(identity.driver_uuid) << " device "
      << to_string(identity.device_uuid);
}
inline void PrintTo(const VulkanImageInfo& info, std::ostream* os) {
  *os << "vk_format " << info.vk_format << " tiling " << info.tiling << " usage 0x" << std::hex
      << info.usage << " flags 0x" << info.create_flags << std::dec << " size "
      << info.allocation_size << " type " << info.memory_type_index << " dedicated "
      << info.dedicated;
}

}  // namespace geyser

namespace geyser::test {

/// "success", or the error's to_string().
template <typename T>
[[nodiscard]] std::string describe_result(const Result<T>& result) {
  return result ? std::string("success") : result.error().to_string();
}

/// Passes when `result` failed with `code`; the message names what happened instead.
template <typename T>
[[nodiscard]] testing::AssertionResult FailsWith(const Result<T>& result, ErrorCode code) {
  if (result) {
    return testing::AssertionFailure() << "succeeded where " << to_string(code) << " was expected";
  }
  if (result.error().code() != code) {
    return testing::AssertionFailure() << "failed with " << result.error().to_string() << " where "
                                       << to_string(code) << " was expected";
  }
  return testing::AssertionSuccess() << result.error().to_string();
}

/// Passes when `result` succeeded; otherwise the message is the error's to_string().
template <typename T>
[[nodiscard]] testing::AssertionResult Succeeds(const Result<T>& result) {
  if (result) return testing::AssertionSuccess();
  return testing::AssertionFailure() << result.error().to_string();
}

/// A headless device as the tests use it (validation from GEYSER_VALIDATION, which
/// test_main sets to 1 unless the environment says otherwise).
[[nodiscard]] inline Result<std::unique_ptr<vulkan::Device>> create_test_device() {
  auto device = vulkan::Device::create_headless();
  if (!device) return tl::unexpected(std::move(device).error());
  return std::make_unique<vulkan::Device>(std::move(device).value());
}

/// In a test body or SetUp: skips when `error` says there is no usable Vulkan device
/// (Unsupported), fails for any other error.
#define GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(error)                           \
  do {                                                                    \
    if ((error).code() == ::geyser::ErrorCode::Unsupported) {             \
      GTEST_SKIP() << "No usable Vulkan device: " << (error).to_string(); \
    }                                                                     \
    FAIL() << "Device::create_headless failed: " << (error).to_string();  \
  } while (false)

/// Bytes of frame `frame` of the test pattern for `desc` (mip 0, layer 0, tightly packed).
[[nodiscard]] inline std::vector<std::uint8_t> pattern_bytes(const TextureDescriptor& desc,
                                                             std::uint64_t frame) {
  const std::uint32_t texel = format_info(desc.format).texel_size;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(desc.width) * desc.height * texel);
  fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
  return bytes;
}

/// Uploads frame `frame` of the test pattern into `texture`.
[[nodiscard]] inline Result<void> write_pattern(vulkan::VulkanSharedTexture& texture,
                                                std::uint64_t frame) {
  return vulkan::upload(texture, pattern_bytes(texture.descriptor(), frame));
}

/// Reads `texture` back and checks every byte against frame `frame` of the test pattern.
[[nodiscard]] inline testing::AssertionResult HasPattern(vulkan::VulkanSharedTexture& texture,
                                                         std::uint64_t frame) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  auto data = vulkan::readback(texture);
  if (!data) {
    return testing::AssertionFailure()
           << "readback of " << describe(desc) << " failed: " << data.error().to_string();
  }
  const std::size_t expected_size = static_cast<std::size_t>(desc.width) * desc.height * texel;
  if (data->size() != expected_size) {
    return testing::AssertionFailure() << "readback of " << describe(desc) << " returned "
                                       << data->size() << " bytes, expected " << expected_size;
  }
  if (const auto mismatch = check_test_pattern(*data, desc.width, desc.height, texel, frame)) {
    return testing::AssertionFailure()
           << describe(desc) << " does not hold frame " << frame << ": " << mismatch->to_string();
  }
  return testing::AssertionSuccess();
}

/// The cross-device round trip: creates `desc` on `producer`, writes frame `frame` there,
/// exports it, imports it on `consumer`, checks frame `frame` there, writes frame
/// `frame + 1` on the consumer and checks it on the producer.
[[nodiscard]] inline testing::AssertionResult RoundTrip(vulkan::VulkanTextureShareManager& producer,
                                                        vulkan::VulkanTextureShareManager& consumer,
                                                        const TextureDescriptor& desc,
                                                        std::uint64_t frame) {
  auto created = producer.create(desc);
  if (!created) {
    return testing::AssertionFailure()
           << "create " << describe(desc) << ": " << created.error().to_string();
  }
  vulkan::VulkanSharedTexture& original = **created;
  if (auto written = write_pattern(original, frame); !written) {
    return testing::AssertionFailure()
           << "upload to the original " << describe(desc) << ": " << written.error().to_string();
  }
  auto handle = producer.export_texture(original);
  if (!handle) {
    return testing::AssertionFailure()
           << "export " << describe(desc) << ": " << handle.error().to_string();
  }
  auto imported = consumer.import(*handle);
  if (!imported) {
    return testing::AssertionFailure()
           << "import " << describe(desc) << ": " << imported.error().to_string();
  }
  producer.release_texture_handle(std::move(*handle));
  vulkan::VulkanSharedTexture& copy = **imported;
  if (!copy.imported() || copy.descriptor() != desc) {
    return testing::AssertionFailure() << "the imported texture is " << describe(copy.descriptor())
                                       << (copy.imported() ? "" : " and not marked imported")
                                       << ", expected " << describe(desc);
  }
  if (auto seen = HasPattern(copy, frame); !seen) {
    return testing::AssertionFailure() << "on the importing device: " << seen.message();
  }
  if (auto written = write_pattern(copy, frame + 1); !written) {
    return testing::AssertionFailure()
           << "upload to the imported " << describe(desc) << ": " << written.error().to_string();
  }
  if (auto seen = HasPattern(original, frame + 1); !seen) {
    return testing::AssertionFailure() << "on the exporting device: " << seen.message();
  }
  return testing::AssertionSuccess();
}

/// A test suite's devices: `kDevices` headless devices, each with its own VkInstance and a
/// manager, created once per suite because creating them with validation on lavapipe is
/// slow. SetUp skips when there is no Vulkan device and fails on any other creation error.
template <int kDevices>
class DeviceSuite : public testing::Test {
 public:
  static void SetUpTestSuite() {
    if (!devices_.empty() || error_) return;
    for (int i = 0; i < kDevices; ++i) {
      auto device = create_test_device();
      if (!device) {
        error_ = std::move(device).error();
        TearDownDevices();
        return;
      }
      devices_.push_back(std::move(device).value());
      managers_.push_back(std::make_unique<vulkan::VulkanTextureShareManager>(*devices_.back()));
    }
    // Warm up: the loader and driver open some files on first use; the fd baselines the tests
    // take must come after that. Failures here show up again in the tests themselves.
    TextureDescriptor desc;
    desc.width = 4;
    desc.height = 4;
    (void)RoundTrip(*managers_.front(), *managers_.back(), desc, 1);
  }
  static void TearDownTestSuite() {
    TearDownDevices();
    error_.reset();
  }

 protected:
  void SetUp() override {
    if (error_) GEYSER_SKIP_OR_FAIL_DEVICE_ERROR(*error_);
    ASSERT_EQ(devices_.size(), static_cast<std::size_t>(kDevices));
  }

  [[nodiscard]] static vulkan::Device& device(int i = 0) { return *devices_.at(i); }
  [[nodiscard]] static vulkan::VulkanTextureShareManager& manager(int i = 0) {
    return *managers_.at(i);
  }

 private:
  static void TearDownDevices() {
    managers_.clear();
    while (!devices_.empty()) devices_.pop_back();
  }
  static inline std::vector<std::unique_ptr<vulkan::Device>> devices_;
  static inline std::vector<std::unique_ptr<vulkan::VulkanTextureShareManager>> managers_;
  static inline std::optional<Error> error_;
};

using OneDeviceTest = DeviceSuite<1>;
using TwoDeviceTest = DeviceSuite<2>;

/// Every colour format, in enum order.
[[nodiscard]] inline std::vector<TextureFormat> colour_formats() {
  std::vector<TextureFormat> formats;
  for (const FormatInfo& info : all_formats()) {
    if (info.kind == FormatKind::Color) formats.push_back(info.format);
  }
  return formats;
}

/// Test-name suffix for a format parameter: "Rgba8Unorm".
struct FormatName {
  std::string operator()(const testing::TestParamInfo<TextureFormat>& info) const {
    return std::string(to_string(info.param));
  }
};

}  // namespace geyser::test
