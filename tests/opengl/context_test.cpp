// HeadlessContext and the GL identity: a context on this machine's EGL, what it reports,
// and whether its UUIDs are the Vulkan device's.
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>

#include "geyser/opengl/identity.hpp"
#include "gl_fixture.hpp"

namespace geyser::test {
namespace {

using opengl::HeadlessContext;

// Skips when this machine's EGL gives no context (the error says which step failed).
#define GEYSER_CREATE_CONTEXT_OR_SKIP(var)                                                   \
  auto var##_result = HeadlessContext::create();                                             \
  if (!var##_result) GTEST_SKIP() << "No EGL context: " << var##_result.error().to_string(); \
  HeadlessContext var = std::move(var##_result).value()

TEST(HeadlessContextTest, CreatesACurrentCoreContext) {
  GEYSER_CREATE_CONTEXT_OR_SKIP(context);
  std::printf("EGL platform %s, renderer %s, version %s\n",
              std::string(opengl::to_string(context.platform())).c_str(),
              context.renderer().c_str(), context.version().c_str());
  EXPECT_TRUE(context.is_current());
  EXPECT_EQ(eglGetCurrentContext(), context.egl_context());
  EXPECT_FALSE(context.renderer().empty());
  EXPECT_GE(epoxy_gl_version(), 45) << context.version();
  GLint profile = 0;
  glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &profile);
  EXPECT_NE(profile & GL_CONTEXT_CORE_PROFILE_BIT, 0);
}

// Each platform on its own, where this machine's EGL offers it (Mesa offers both).
class HeadlessPlatformTest : public testing::TestWithParam<opengl::EglPlatform> {};

TEST_P(HeadlessPlatformTest, CreatesAContextOnThePlatform) {
  auto context = HeadlessContext::create_on(GetParam());
  if (!context) GTEST_SKIP() << "No context on this platform: " << context.error().to_string();
  EXPECT_EQ(context->platform(), GetParam());
  EXPECT_TRUE(context->is_current());
  EXPECT_GE(epoxy_gl_version(), 45) << context->version();
  std::printf("%s: %s\n", std::string(opengl::to_string(GetParam())).c_str(),
              context->renderer().c_str());
}

INSTANTIATE_TEST_SUITE_P(Platforms, HeadlessPlatformTest,
                         testing::Values(opengl::EglPlatform::Device,
                                         opengl::EglPlatform::Surfaceless),
                         [](const testing::TestParamInfo<opengl::EglPlatform>& platform) {
                           return std::string(opengl::to_string(platform.param));
                         });

TEST(HeadlessContextTest, MovesAndReleasesOnDestruction) {
  GEYSER_CREATE_CONTEXT_OR_SKIP(first);
  HeadlessContext moved = std::move(first);
  EXPECT_TRUE(moved.is_current());
  EXPECT_FALSE(first.is_current());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(FailsWith(first.make_current(), ErrorCode::Validation));
  { HeadlessContext gone = std::move(moved); }
  EXPECT_EQ(eglGetCurrentContext(), EGL_NO_CONTEXT);
}

// Two contexts on one display: destroying one leaves the other working (the display is
// terminated only with its last context).
TEST(HeadlessContextTest, TwoContextsShareADisplay) {
  GEYSER_CREATE_CONTEXT_OR_SKIP(first);
  GEYSER_CREATE_CONTEXT_OR_SKIP(second);
  EXPECT_TRUE(second.is_current());
  ASSERT_TRUE(Succeeds(first.make_current()));
  { HeadlessContext gone = std::move(second); }
  EXPECT_TRUE(first.is_current());
  ASSERT_TRUE(Succeeds(first.make_current()));
  EXPECT_NE(glGetString(GL_VERSION), nullptr);
  GLuint texture = 0;
  glCreateTextures(GL_TEXTURE_2D, 1, &texture);
  EXPECT_NE(texture, 0u);
  glDeleteTextures(1, &texture);
  EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
}

// A selector picks the display by the GL device UUID or a part of GL_RENDERER; one that no
// display matches is Validation naming every display tried, and leaves no context current.
TEST(HeadlessContextTest, PicksTheDisplayTheSelectorNames) {
  std::string renderer;
  Uuid uuid{};
  {
    GEYSER_CREATE_CONTEXT_OR_SKIP(any);
    auto identity = opengl::current_identity();
    if (!identity) GTEST_SKIP() << identity.error().to_string();
    renderer = any.renderer();
    uuid = identity->device_uuid;
  }
  DeviceSelector by_uuid;
  by_uuid.uuid = uuid;
  auto picked = HeadlessContext::create(by_uuid);
  ASSERT_TRUE(picked) << picked.error().to_string();
  EXPECT_EQ(picked->renderer(), renderer);
  auto identity = opengl::current_identity();
  ASSERT_TRUE(identity) << identity.error().to_string();
  EXPECT_EQ(identity->device_uuid, uuid);

  DeviceSelector by_name;
  by_name.name_contains = renderer.substr(0, renderer.find(' '));
  auto named = HeadlessContext::create(by_name);
  ASSERT_TRUE(named) << named.error().to_string();
  EXPECT_EQ(named->renderer(), renderer);
}

TEST(HeadlessContextTest, ASelectorNoDisplayMatchesIsValidationListingThem) {
  { GEYSER_CREATE_CONTEXT_OR_SKIP(any); }
  DeviceSelector nobody;
  nobody.name_contains = "no such renderer";
  auto none = HeadlessContext::create(nobody);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::Validation);
  EXPECT_NE(none.error().message().find("name containing \"no such renderer\""), std::string::npos)
      << none.error().message();
  EXPECT_NE(none.error().message().find(" is "), std::string::npos) << none.error().message();
  EXPECT_EQ(eglGetCurrentContext(), EGL_NO_CONTEXT);
}

TEST(GlCapabilitiesTest, ReportsTheInteropExtensions) {
  GEYSER_CREATE_CONTEXT_OR_SKIP(context);
  const opengl::GlCapabilities caps = opengl::capabilities();
  std::printf(
      "%s: memory_object %d, memory_object_fd %d, semaphore %d, semaphore_fd %d, "
      "timeline %d, dsa %d\n",
      caps.renderer.c_str(), caps.memory_object, caps.memory_object_fd, caps.semaphore,
      caps.semaphore_fd, caps.timeline_semaphore, caps.direct_state_access);
  EXPECT_EQ(caps.renderer, context.renderer());
  EXPECT_EQ(caps.version, context.version());
  EXPECT_EQ(caps.memory_object, static_cast<bool>(epoxy_has_gl_extension("GL_EXT_memory_object")));
  EXPECT_TRUE(caps.direct_state_access);
}

// Rule 1 of docs/architecture.md needs GL and Vulkan to report the same UUIDs for the same
// driver and device. Both are printed; on Mesa's software drivers (llvmpipe GL, lavapipe
// Vulkan, one Mesa build) they must be equal.
using GlIdentityTest = OneDeviceTest;

TEST_F(GlIdentityTest, MatchesTheVulkanDevice) {
  GEYSER_CREATE_CONTEXT_OR_SKIP(context);
  auto gl = opengl::current_identity();
  if (!gl && gl.error().code() == ErrorCode::Unsupported) {
    GTEST_SKIP() << gl.error().to_string();
  }
  ASSERT_TRUE(Succeeds(gl));
  const DeviceIdentity& vk = manager().identity();
  std::printf("OpenGL  %-40s driver %s device %s\nVulkan  %-40s driver %s device %s\n",
              context.renderer().c_str(), to_string(gl->driver_uuid).c_str(),
              to_string(gl->device_uuid).c_str(), device().name().c_str(),
              to_string(vk.driver_uuid).c_str(), to_string(vk.device_uuid).c_str());
  RecordProperty("gl_driver_uuid", to_string(gl->driver_uuid));
  RecordProperty("gl_device_uuid", to_string(gl->device_uuid));
  RecordProperty("vk_driver_uuid", to_string(vk.driver_uuid));
  RecordProperty("vk_device_uuid", to_string(vk.device_uuid));
  EXPECT_TRUE(gl->known());
  const bool mesa_software =
      context.renderer().rfind("llvmpipe", 0) == 0 && device().name().rfind("llvmpipe", 0) == 0;
  if (!mesa_software && !gl->compatible_with(vk)) {
    GTEST_SKIP() << "OpenGL and Vulkan run on different devices here";
  }
  EXPECT_TRUE(gl->compatible_with(vk));
}

}  // namespace
}  // namespace geyser::test
