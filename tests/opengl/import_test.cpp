// Vulkan textures exported by Geyser, imported into a headless OpenGL context
// (GL_EXT_memory_object_fd), and read back through GL: the pattern arrives byte for byte,
// mismatched and unsupported handles are refused with the right code, and no descriptor is
// left behind.
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "gl_fixture.hpp"
#include "support/process_stats.hpp"

namespace geyser::test {
namespace {

using opengl::GlTexture;
using opengl::import_texture;
using opengl::read_pixels;

// ---- The pattern through OpenGL ----

struct Extent {
  std::uint32_t width;
  std::uint32_t height;
};

class GlPatternTest : public GlImportTest, public testing::WithParamInterface<Extent> {};

TEST_P(GlPatternTest, Rgba8PatternReadsBackExactly) {
  const TextureDescriptor desc =
      gl_descriptor(GetParam().width, GetParam().height, TextureFormat::Rgba8Unorm);
  auto exported = export_pattern(desc, 7);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  EXPECT_NE(imported->texture(), 0u);
  EXPECT_NE(imported->memory_object(), 0u);
  EXPECT_EQ(imported->descriptor(), desc);
  EXPECT_TRUE(GlHasPattern(*imported, 7));
}

INSTANTIATE_TEST_SUITE_P(Sizes, GlPatternTest,
                         testing::Values(Extent{256, 256}, Extent{1920, 1080}),
                         [](const testing::TestParamInfo<Extent>& extent) {
                           return std::to_string(extent.param.width) + "x" +
                                  std::to_string(extent.param.height);
                         });

// Row 0 of what read_pixels returns is Vulkan's row 0 (the top): no flip. The pattern's G
// byte is y + 2f, so each row says which it is.
TEST_F(GlImportTest, RowZeroIsVulkansRowZero) {
  constexpr std::uint64_t kFrame = 3;
  const TextureDescriptor desc = gl_descriptor(8, 4, TextureFormat::Rgba8Unorm);
  auto exported = export_pattern(desc, kFrame);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  auto bytes = read_pixels(*imported);
  ASSERT_TRUE(Succeeds(bytes));
  ASSERT_EQ(bytes->size(), 8u * 4u * 4u);
  for (std::uint32_t y = 0; y < desc.height; ++y) {
    EXPECT_EQ((*bytes)[y * desc.width * 4 + 1], pattern_byte(0, y, 1, kFrame)) << "row " << y;
  }
}

// Every colour format gl_format maps that this Vulkan device can share: frame 5 read back
// through GL, bit for bit (a format llvmpipe cannot import shows up here by name).
class GlFormatTest : public GlImportTest, public testing::WithParamInterface<TextureFormat> {};

TEST_P(GlFormatTest, PatternReadsBackExactly) {
  const TextureFormat format = GetParam();
  if (!opengl::gl_format(format)) GTEST_SKIP() << to_string(format) << " has no GL format";
  const vulkan::FormatCapability cap = manager().query_format(format);
  // 256 x 256: the pattern's first two bytes take every value (snorm -128, half-float NaNs).
  const TextureDescriptor desc = gl_descriptor(256, 256, format);
  if (!cap.exportable || !has_all(cap.usages, desc.usage)) {
    GTEST_SKIP() << device().name() << " cannot export " << to_string(format)
                 << " with copies and sampling";
  }
  auto exported = export_pattern(desc, 5);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  EXPECT_TRUE(GlHasPattern(*imported, 5));
}

INSTANTIATE_TEST_SUITE_P(Formats, GlFormatTest, testing::ValuesIn(colour_formats()), FormatName());

// The import is the exporter's memory, not a copy: a frame written after the import is what
// GL reads.
TEST_F(GlImportTest, WritesAfterTheImportAreSeen) {
  auto exported = export_pattern(gl_descriptor(128, 64, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  ASSERT_TRUE(GlHasPattern(*imported, 1));
  ASSERT_TRUE(Succeeds(write_pattern(*exported->texture, 2)));
  EXPECT_TRUE(GlHasPattern(*imported, 2));
}

TEST_F(GlImportTest, SameHandleImportsTwice) {
  auto exported = export_pattern(gl_descriptor(256, 256, TextureFormat::Rgba8Unorm), 9);
  ASSERT_TRUE(Succeeds(exported));
  auto first = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(first));
  auto second = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(second));
  EXPECT_NE(first->texture(), second->texture());
  EXPECT_NE(first->memory_object(), second->memory_object());
  EXPECT_TRUE(exported->handle.os_handle.valid()) << "import consumed the handle's fd";
  EXPECT_TRUE(GlHasPattern(*first, 9));
  EXPECT_TRUE(GlHasPattern(*second, 9));
  *first = GlTexture();
  EXPECT_TRUE(GlHasPattern(*second, 9)) << "after the first import was destroyed";
}

// The import holds the memory: the exporter's texture and handle may go first.
TEST_F(GlImportTest, ImportOutlivesTheExporter) {
  auto exported = export_pattern(gl_descriptor(64, 64, TextureFormat::Rgba8Unorm), 4);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  manager().release_texture_handle(std::move(exported->handle));
  exported->texture.reset();
  EXPECT_TRUE(GlHasPattern(*imported, 4));
}

// read_pixels leaves the application's pixel-pack state as it found it.
TEST_F(GlImportTest, ReadPixelsRestoresPackState) {
  auto exported = export_pattern(gl_descriptor(30, 7, TextureFormat::Rgba8Unorm), 2);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  GLuint buffer = 0;
  glCreateBuffers(1, &buffer);
  glNamedBufferData(buffer, 64, nullptr, GL_STREAM_READ);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, buffer);
  glPixelStorei(GL_PACK_ALIGNMENT, 8);
  glPixelStorei(GL_PACK_ROW_LENGTH, 100);
  EXPECT_TRUE(GlHasPattern(*imported, 2));
  GLint alignment = 0;
  GLint row_length = 0;
  GLint bound = 0;
  glGetIntegerv(GL_PACK_ALIGNMENT, &alignment);
  glGetIntegerv(GL_PACK_ROW_LENGTH, &row_length);
  glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &bound);
  EXPECT_EQ(alignment, 8);
  EXPECT_EQ(row_length, 100);
  EXPECT_EQ(bound, static_cast<GLint>(buffer));
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glPixelStorei(GL_PACK_ROW_LENGTH, 0);
  glDeleteBuffers(1, &buffer);
  EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
}

// ---- Refusals ----

TEST_F(GlImportTest, WrongIdentityIsDeviceMismatch) {
  auto exported = export_pattern(gl_descriptor(16, 16, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto other_device = exported->handle.clone();
  ASSERT_TRUE(Succeeds(other_device));
  other_device->identity.device_uuid[15] ^= 0x5a;
  auto refused = import_texture(*other_device);
  ASSERT_TRUE(FailsWith(refused, ErrorCode::DeviceMismatch));
  const std::string& message = refused.error().message();
  EXPECT_NE(message.find(to_string(other_device->identity.device_uuid)), std::string::npos)
      << message;
  EXPECT_NE(message.find(to_string(manager().identity().device_uuid)), std::string::npos)
      << message;

  auto other_driver = exported->handle.clone();
  ASSERT_TRUE(Succeeds(other_driver));
  other_driver->identity.driver_uuid[0] ^= 0x01;
  EXPECT_TRUE(FailsWith(import_texture(*other_driver), ErrorCode::DeviceMismatch));

  auto unknown = exported->handle.clone();
  ASSERT_TRUE(Succeeds(unknown));
  unknown->identity = DeviceIdentity{};
  EXPECT_TRUE(FailsWith(import_texture(*unknown), ErrorCode::DeviceMismatch));
}

TEST_F(GlImportTest, BgraIsUnsupported) {
  const TextureDescriptor desc = gl_descriptor(16, 16, TextureFormat::Bgra8Unorm);
  const vulkan::FormatCapability cap = manager().query_format(desc.format);
  if (!cap.exportable || !has_all(cap.usages, desc.usage)) {
    GTEST_SKIP() << device().name() << " cannot export Bgra8Unorm";
  }
  auto exported = export_pattern(desc, 1);
  ASSERT_TRUE(Succeeds(exported));
  EXPECT_TRUE(FailsWith(import_texture(exported->handle), ErrorCode::Unsupported));
}

TEST_F(GlImportTest, FormatsWithoutAGlEquivalentAreUnsupported) {
  for (TextureFormat format : {TextureFormat::Bgra8Unorm, TextureFormat::Bgra8Srgb,
                               TextureFormat::Depth16Unorm, TextureFormat::Depth32Float,
                               TextureFormat::Depth24Plus, TextureFormat::Depth24PlusStencil8}) {
    EXPECT_TRUE(FailsWith(opengl::gl_format(format), ErrorCode::Unsupported)) << to_string(format);
  }
}

TEST_F(GlImportTest, OtherHandleTypesAreUnsupported) {
  auto exported = export_pattern(gl_descriptor(16, 16, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto win32 = exported->handle.clone();
  ASSERT_TRUE(Succeeds(win32));
  win32->handle_type = MemoryHandleType::OpaqueWin32;
  EXPECT_TRUE(FailsWith(import_texture(*win32), ErrorCode::Unsupported));
}

TEST_F(GlImportTest, MalformedImageInfoIsValidation) {
  auto exported = export_pattern(gl_descriptor(16, 16, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto wrong_format = exported->handle.clone();
  ASSERT_TRUE(Succeeds(wrong_format));
  wrong_format->image.vk_format = format_info(TextureFormat::R8Unorm).vk_format;
  EXPECT_TRUE(FailsWith(import_texture(*wrong_format), ErrorCode::Validation));
  auto too_small = exported->handle.clone();
  ASSERT_TRUE(Succeeds(too_small));
  too_small->descriptor.width = 4096;
  too_small->descriptor.height = 4096;
  EXPECT_TRUE(FailsWith(import_texture(*too_small), ErrorCode::Validation));
  auto not_dedicated = exported->handle.clone();
  ASSERT_TRUE(Succeeds(not_dedicated));
  not_dedicated->image.dedicated = false;
  EXPECT_TRUE(FailsWith(import_texture(*not_dedicated), ErrorCode::Unsupported));
}

// What is not a memory fd never reaches the driver (Mesa would block reading a pipe).
TEST_F(GlImportTest, NonMemoryFdsAreValidation) {
  auto exported = export_pattern(gl_descriptor(16, 16, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  int ends[2] = {-1, -1};
  ASSERT_EQ(pipe2(ends, O_CLOEXEC), 0);
  UniqueFd write_end(ends[1]);
  auto piped = exported->handle.clone();
  ASSERT_TRUE(Succeeds(piped));
  piped->os_handle = UniqueHandle(ends[0]);
  EXPECT_TRUE(FailsWith(import_texture(*piped), ErrorCode::Validation));
  auto closed = exported->handle.clone();
  ASSERT_TRUE(Succeeds(closed));
  closed->os_handle.reset();
  EXPECT_TRUE(FailsWith(import_texture(*closed), ErrorCode::Validation));
}

TEST_F(GlImportTest, NoCurrentContextIsValidation) {
  auto exported = export_pattern(gl_descriptor(16, 16, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto imported = import_texture(exported->handle);
  ASSERT_TRUE(Succeeds(imported));
  ASSERT_TRUE(
      eglMakeCurrent(context().egl_display(), EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT));
  EXPECT_TRUE(FailsWith(import_texture(exported->handle), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(read_pixels(*imported), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(opengl::current_identity(), ErrorCode::Validation));
  EXPECT_FALSE(opengl::capabilities().memory_object);
  ASSERT_TRUE(Succeeds(context().make_current()));
}

// ---- Descriptors ----

// Import and destruction of the import leave exactly the descriptors that were open: the
// duplicate GL took is closed when GL lets go of the memory.
TEST_F(GlImportTest, FdCountReturnsToBaselineAfterImportAndDestroy) {
  auto exported = export_pattern(gl_descriptor(256, 256, TextureFormat::Rgba8Unorm), 6);
  ASSERT_TRUE(Succeeds(exported));
  const std::size_t baseline = open_fd_count();
  const std::string before = describe_open_fds();
  for (int i = 0; i < 20; ++i) {
    auto imported = import_texture(exported->handle);
    ASSERT_TRUE(Succeeds(imported)) << "import " << i;
    ASSERT_TRUE(GlHasPattern(*imported, 6)) << "import " << i;
  }
  EXPECT_EQ(open_fd_count(), baseline) << "before: " << before << "\nnow: " << describe_open_fds();
}

TEST_F(GlImportTest, FdCountReturnsToBaselineAfterTheWholeLifecycle) {
  const std::size_t baseline = open_fd_count();
  const std::string before = describe_open_fds();
  for (int i = 0; i < 10; ++i) {
    auto exported = export_pattern(gl_descriptor(64, 64, TextureFormat::Rgba8Unorm), 2);
    ASSERT_TRUE(Succeeds(exported));
    auto imported = import_texture(exported->handle);
    ASSERT_TRUE(Succeeds(imported));
    manager().release_texture_handle(std::move(exported->handle));
    exported->texture.reset();
    ASSERT_TRUE(GlHasPattern(*imported, 2));
  }
  EXPECT_EQ(open_fd_count(), baseline) << "before: " << before << "\nnow: " << describe_open_fds();
}

TEST_F(GlImportTest, FailedImportsLeaveNoDescriptor) {
  auto exported = export_pattern(gl_descriptor(32, 32, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  auto mismatched = exported->handle.clone();
  ASSERT_TRUE(Succeeds(mismatched));
  mismatched->identity.device_uuid[0] ^= 0xff;
  const std::size_t baseline = open_fd_count();
  const std::string before = describe_open_fds();
  EXPECT_TRUE(FailsWith(import_texture(*mismatched), ErrorCode::DeviceMismatch));
  EXPECT_EQ(open_fd_count(), baseline) << "before: " << before << "\nnow: " << describe_open_fds();
}

TEST_F(GlImportTest, AnAllocationLargerThanTheMemfdIsValidationAndLeavesNoDescriptor) {
  // A handle that claims more memory than its fd holds would map past its end. Only a
  // memfd's size can be checked here (Mesa exports them); other drivers' opaque fds
  // (NVIDIA's) are theirs to check, as in the Vulkan importer's test.
  auto exported = export_pattern(gl_descriptor(32, 32, TextureFormat::Rgba8Unorm), 1);
  ASSERT_TRUE(Succeeds(exported));
  struct stat st {};
  ASSERT_EQ(fstat(exported->handle.os_handle.get(), &st), 0);
  if (!S_ISREG(st.st_mode)) {
    GTEST_SKIP() << "this driver exports fds that are not regular files: their size is the "
                    "driver's to check";
  }
  auto oversized = exported->handle.clone();
  ASSERT_TRUE(Succeeds(oversized));
  oversized->image.allocation_size *= 4;
  const std::size_t baseline = open_fd_count();
  const std::string before = describe_open_fds();
  EXPECT_TRUE(FailsWith(import_texture(*oversized), ErrorCode::Validation));
  EXPECT_EQ(open_fd_count(), baseline) << "before: " << before << "\nnow: " << describe_open_fds();
}

}  // namespace
}  // namespace geyser::test
