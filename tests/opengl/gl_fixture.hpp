// The OpenGL import tests' suite: one Vulkan device (validation on, from vulkan_fixture.hpp)
// and one headless GL context, current on the test thread, created once per suite. Tests
// skip, saying why, when there is no context, when it lacks GL_EXT_memory_object_fd, or
// when GL and Vulkan run on different devices.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "geyser/opengl/context.hpp"
#include "geyser/opengl/identity.hpp"
#include "geyser/opengl/texture.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::test {

/// A Vulkan texture holding a test-pattern frame, and its export.
struct ExportedTexture {
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  TextureShareHandle handle;
};

/// A `width` x `height` texture of `format` that can be copied both ways and sampled.
[[nodiscard]] inline TextureDescriptor gl_descriptor(std::uint32_t width, std::uint32_t height,
                                                     TextureFormat format) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = format;
  desc.usage = TextureUsage::TransferSrc | TextureUsage::TransferDst | TextureUsage::Sampled;
  return desc;
}

/// Reads `texture` back through OpenGL and checks every byte against frame `frame`.
[[nodiscard]] inline testing::AssertionResult GlHasPattern(const opengl::GlTexture& texture,
                                                           std::uint64_t frame) {
  const TextureDescriptor& desc = texture.descriptor();
  auto data = opengl::read_pixels(texture);
  if (!data) {
    return testing::AssertionFailure() << "read_pixels: " << data.error().to_string();
  }
  const std::uint32_t texel = format_info(desc.format).texel_size;
  if (data->size() != static_cast<std::size_t>(desc.width) * desc.height * texel) {
    return testing::AssertionFailure() << "read_pixels returned " << data->size() << " bytes";
  }
  if (auto mismatch = check_test_pattern(*data, desc.width, desc.height, texel, frame)) {
    return testing::AssertionFailure()
           << "OpenGL's view of " << describe(desc) << " does not hold frame " << frame << ": "
           << mismatch->to_string();
  }
  return testing::AssertionSuccess();
}

class GlImportTest : public OneDeviceTest {
 public:
  static void SetUpTestSuite() {
    OneDeviceTest::SetUpTestSuite();
    if (context_ || skip_reason_) return;
    auto context = opengl::HeadlessContext::create();
    if (!context) {
      skip_reason_ = "No EGL context: " + context.error().to_string();
      return;
    }
    context_ = std::make_unique<opengl::HeadlessContext>(std::move(context).value());
    if (!opengl::capabilities().memory_object_fd) {
      skip_reason_ =
          "The OpenGL context (" + context_->renderer() + ") lacks GL_EXT_memory_object_fd";
    }
  }
  static void TearDownTestSuite() {
    context_.reset();
    skip_reason_.reset();
    OneDeviceTest::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    OneDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (skip_reason_) GTEST_SKIP() << *skip_reason_;
    ASSERT_TRUE(Succeeds(context_->make_current()));
    auto gl = opengl::current_identity();
    ASSERT_TRUE(Succeeds(gl));
    if (!gl->compatible_with(manager().identity())) {
      GTEST_SKIP() << "OpenGL (" << context_->renderer() << ") and Vulkan (" << device().name()
                   << ") run on different devices";
    }
    WarmUp();
  }

  [[nodiscard]] static opengl::HeadlessContext& context() { return *context_; }

  /// Creates `desc` on the Vulkan device, writes frame `frame` into it and exports it.
  [[nodiscard]] static Result<ExportedTexture> export_pattern(const TextureDescriptor& desc,
                                                              std::uint64_t frame) {
    GEYSER_TRY(auto texture, manager().create(desc));
    GEYSER_TRY_VOID(write_pattern(*texture, frame));
    GEYSER_TRY(TextureShareHandle handle, manager().export_texture(*texture));
    return ExportedTexture{std::move(texture), std::move(handle)};
  }

 private:
  // The first import loads driver code and may open files for good; fd baselines come after.
  static void WarmUp() {
    if (warmed_up_) return;
    warmed_up_ = true;
    if (auto exported = export_pattern(gl_descriptor(4, 4, TextureFormat::Rgba8Unorm), 1)) {
      if (auto imported = opengl::import_texture(exported->handle)) {
        (void)opengl::read_pixels(*imported);
      }
    }
  }

  static inline std::unique_ptr<opengl::HeadlessContext> context_;
  static inline std::optional<std::string> skip_reason_;
  static inline bool warmed_up_ = false;
};

}  // namespace geyser::test
