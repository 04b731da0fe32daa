// import_texture: a TextureShareHandle's memory as a GL texture (GL_EXT_memory_object_fd).
#include <string>

#include "geyser/format.hpp"
#include "geyser/opengl/identity.hpp"
#include "geyser/opengl/texture.hpp"
#include "gl_call.hpp"
#include "gl_objects.hpp"
#include "opaque_fd.hpp"

namespace geyser::opengl {
namespace {

// VkImageTiling values (share_handle.hpp carries them as plain integers).

std::string identity_string(const DeviceIdentity& identity) {
  return "driver " + to_string(identity.driver_uuid) + " device " + to_string(identity.device_uuid);
}

// Rule 1 of docs/architecture.md: before the handle is touched.
Result<void> check_identity(const DeviceIdentity& theirs) {
  GEYSER_TRY(const DeviceIdentity ours, current_identity());
  if (!theirs.compatible_with(ours)) {
    return fail(ErrorCode::DeviceMismatch,
                "import_texture: the handle comes from " + identity_string(theirs) +
                    ", the current OpenGL context is " + identity_string(ours) + " (" +
                    detail::gl_string(GL_RENDERER) + ")" +
                    (theirs.known() ? "" : "; an all-zero UUID is unknown and never matches"));
  }
  return {};
}

Result<void> check_context_features(const TextureShareHandle& handle) {
  if (handle.handle_type != MemoryHandleType::OpaqueFd) {
    return fail(ErrorCode::Unsupported, "import_texture: handle type " +
                                            std::string(to_string(handle.handle_type)) +
                                            " is not imported into OpenGL (only OpaqueFd)");
  }
  const GlCapabilities caps = capabilities();
  if (!caps.memory_object_fd) {
    return fail(
        ErrorCode::Unsupported,
        "import_texture: the context lacks GL_EXT_memory_object_fd (" + caps.renderer + ")");
  }
  if (!caps.direct_state_access) {
    return fail(ErrorCode::Unsupported,
                "import_texture: needs OpenGL 4.5 or GL_ARB_direct_state_access (context: " +
                    caps.version + ")");
  }
  return {};
}

Result<GLint> tiling_for(std::uint32_t vk_tiling) {
  if (vk_tiling == kVkTilingOptimal) return GL_OPTIMAL_TILING_EXT;
  if (vk_tiling == kVkTilingLinear) return GL_LINEAR_TILING_EXT;
  return fail(ErrorCode::Unsupported, "import_texture: VkImageTiling " + std::to_string(vk_tiling) +
                                          " has no GL_TEXTURE_TILING_EXT value");
}

// What the memory must be for GL to make the exporter's image over it (rule 3): the format
// table's VkFormat, no create flags, one level and one layer, a dedicated allocation (rule
// 2) at least as large as the texels.
Result<void> check_image(const TextureDescriptor& desc, const VulkanImageInfo& info) {
  GEYSER_TRY_VOID(validate(desc));
  const FormatInfo& format = format_info(desc.format);
  if (info.vk_format != format.vk_format) {
    return fail(ErrorCode::Validation, "import_texture: VulkanImageInfo::vk_format " +
                                           std::to_string(info.vk_format) + " is not " +
                                           std::to_string(format.vk_format) + ", the VkFormat of " +
                                           std::string(format.name));
  }
  if (info.create_flags != 0) {
    return fail(ErrorCode::Validation, "import_texture: VulkanImageInfo::create_flags " +
                                           std::to_string(info.create_flags) + " is not 0");
  }
  if (desc.mip_levels != 1 || desc.array_layers != 1) {
    return fail(ErrorCode::Unsupported,
                "import_texture: OpenGL imports one mip level and one layer; the handle has " +
                    std::to_string(desc.mip_levels) + " levels and " +
                    std::to_string(desc.array_layers) + " layers");
  }
  if (!info.dedicated) {
    return fail(ErrorCode::Unsupported,
                "import_texture: only dedicated allocations are shared (docs/architecture.md, "
                "rule 2)");
  }
  if (info.allocation_size < tight_size_bytes(desc)) {
    return fail(ErrorCode::Validation, "import_texture: allocation size " +
                                           std::to_string(info.allocation_size) +
                                           " is smaller than the texels of " + describe(desc));
  }
  return {};
}

Result<void> check_limits(const TextureDescriptor& desc) {
  GLint max_size = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
  GEYSER_TRY_VOID(detail::check_gl("import_texture: glGetIntegerv(GL_MAX_TEXTURE_SIZE)"));
  if (desc.width > static_cast<std::uint32_t>(max_size) ||
      desc.height > static_cast<std::uint32_t>(max_size)) {
    return fail(ErrorCode::Unsupported, "import_texture: " + describe(desc) +
                                            " exceeds GL_MAX_TEXTURE_SIZE " +
                                            std::to_string(max_size));
  }
  return {};
}

// GL_DEDICATED_MEMORY_OBJECT_EXT must be set before the import (EXT_external_objects), to
// match the exporter's VkMemoryDedicatedAllocateInfo.
Result<detail::MemoryObjectName> create_memory_object(bool dedicated) {
  GLuint name = 0;
  glCreateMemoryObjectsEXT(1, &name);
  detail::MemoryObjectName memory(name);
  GEYSER_TRY_VOID(detail::check_gl("import_texture: glCreateMemoryObjectsEXT"));
  const GLint value = dedicated ? GL_TRUE : GL_FALSE;
  glMemoryObjectParameterivEXT(memory.get(), GL_DEDICATED_MEMORY_OBJECT_EXT, &value);
  GEYSER_TRY_VOID(detail::check_gl(
      "import_texture: glMemoryObjectParameterivEXT(GL_DEDICATED_MEMORY_OBJECT_EXT)"));
  return memory;
}

// Direct state access, so that the application's texture bindings stay as they are.
Result<detail::TextureName> create_texture(GLuint memory, const TextureShareHandle& handle,
                                           const GlFormat& format) {
  GEYSER_TRY(const GLint tiling, tiling_for(handle.image.tiling));
  GLuint name = 0;
  glCreateTextures(GL_TEXTURE_2D, 1, &name);
  detail::TextureName texture(name);
  GEYSER_TRY_VOID(detail::check_gl("import_texture: glCreateTextures(GL_TEXTURE_2D)"));
  glTextureParameteri(texture.get(), GL_TEXTURE_TILING_EXT, tiling);
  if (auto set = detail::check_gl("import_texture: glTextureParameteri(GL_TEXTURE_TILING_EXT)");
      !set) {
    // NVIDIA's GL (580) answers GL_INVALID_VALUE to GL_LINEAR_TILING_EXT: it cannot import
    // the slots of a linear stream, which is what the user must be told.
    if (tiling == GL_LINEAR_TILING_EXT) {
      return fail(ErrorCode::Unsupported,
                  "import_texture: this GL (" + detail::gl_string(GL_RENDERER) +
                      ") cannot import linear images (GL_TEXTURE_TILING_EXT = "
                      "GL_LINEAR_TILING_EXT refused: " +
                      set.error().message() +
                      "); read linear streams with Vulkan, CUDA or "
                      "host frames");
    }
    return tl::unexpected(std::move(set).error());
  }
  const TextureDescriptor& desc = handle.descriptor;
  glTextureStorageMem2DEXT(texture.get(), 1, format.internal_format,
                           static_cast<GLsizei>(desc.width), static_cast<GLsizei>(desc.height),
                           memory, 0);
  GEYSER_TRY_VOID(detail::check_gl("import_texture: glTextureStorageMem2DEXT(" + describe(desc) +
                                   ", internal format " + std::to_string(format.internal_format) +
                                   ", offset 0)"));
  return texture;
}

}  // namespace

Result<GlTexture> import_texture(const TextureShareHandle& handle) {
  if (!detail::context_is_current()) {
    return fail(ErrorCode::Validation, "import_texture: no OpenGL context is current");
  }
  detail::clear_gl_errors();
  GEYSER_TRY_VOID(check_identity(handle.identity));
  GEYSER_TRY_VOID(check_context_features(handle));
  const TextureDescriptor& desc = handle.descriptor;
  GEYSER_TRY_VOID(check_image(desc, handle.image));
  GEYSER_TRY(const GlFormat format, gl_format(desc.format));
  GEYSER_TRY_VOID(check_limits(desc));
  // Only now look at the fd.
  GEYSER_TRY_VOID(detail::check_opaque_fd(handle.os_handle.get(), handle.image.allocation_size));
  GEYSER_TRY(detail::MemoryObjectName memory, create_memory_object(handle.image.dedicated));
  GEYSER_TRY_VOID(
      detail::import_opaque_fd(memory.get(), handle.os_handle, handle.image.allocation_size));
  GEYSER_TRY(detail::TextureName texture, create_texture(memory.get(), handle, format));
  return GlTexture(memory.release(), texture.release(), desc, format);
}

}  // namespace geyser::opengl
