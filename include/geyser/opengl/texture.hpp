// Textures exported by another API (Vulkan), imported into OpenGL through
// GL_EXT_memory_object_fd, and read back.
//
// Every function here works in the OpenGL context current on the calling thread, whatever
// made it (HeadlessContext, the application's EGL or GLX context). GL names are returned as
// std::uint32_t (GLuint) so that no GL header is needed to include this one.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"

namespace geyser::opengl {

/// The GL side of one shared format: the sized internal format the memory is imported with
/// and the pixel format and type that read it back byte for byte.
struct GlFormat {
  std::uint32_t internal_format = 0;  ///< e.g. GL_RGBA8
  std::uint32_t pixel_format = 0;     ///< e.g. GL_RGBA, GL_RED_INTEGER
  std::uint32_t pixel_type = 0;       ///< e.g. GL_UNSIGNED_BYTE, GL_HALF_FLOAT
};

/// The GL format for `format`. Unsupported for formats with no GL equivalent of the same
/// memory layout (Bgra8Unorm, Bgra8Srgb: desktop GL has no BGRA internal format) and for
/// depth formats (not imported into GL yet).
[[nodiscard]] Result<GlFormat> gl_format(TextureFormat format);

/// A GL texture over imported memory. Owns the texture name and the memory object; the
/// memory itself stays alive while either the exporter's allocation or this import holds it.
/// Move-only. Its destructor deletes both GL objects and so must run with the context it was
/// imported in (or one sharing objects with it) current on the calling thread; otherwise
/// it deletes whatever objects have those names in the current context, or, with no current
/// context, nothing (the objects leak until their context is destroyed).
class GlTexture {
 public:
  GlTexture() noexcept = default;
  ~GlTexture();
  GlTexture(GlTexture&& other) noexcept;
  GlTexture& operator=(GlTexture&& other) noexcept;
  GlTexture(const GlTexture&) = delete;
  GlTexture& operator=(const GlTexture&) = delete;

  /// The GL texture name (GL_TEXTURE_2D, one level, immutable storage); 0 when empty.
  [[nodiscard]] std::uint32_t texture() const noexcept { return texture_; }
  /// The GL memory object name the texture's storage lives in.
  [[nodiscard]] std::uint32_t memory_object() const noexcept { return memory_; }
  /// The descriptor of the imported handle.
  [[nodiscard]] const TextureDescriptor& descriptor() const noexcept { return desc_; }
  /// The GL formats it was imported with and is read back with.
  [[nodiscard]] const GlFormat& format() const noexcept { return format_; }
  [[nodiscard]] bool valid() const noexcept { return texture_ != 0; }

 private:
  friend Result<GlTexture> import_texture(const TextureShareHandle& handle);
  GlTexture(std::uint32_t memory, std::uint32_t texture, const TextureDescriptor& desc,
            const GlFormat& format) noexcept
      : memory_(memory), texture_(texture), desc_(desc), format_(format) {}
  void reset() noexcept;

  std::uint32_t memory_ = 0;
  std::uint32_t texture_ = 0;
  TextureDescriptor desc_;
  GlFormat format_;
};

/// Imports `handle`'s memory into the current context as a 2D texture of the handle's
/// format and extent, without copying. Checks, before the fd is touched: a current context
/// (Validation), the handle's identity against current_identity() (DeviceMismatch naming
/// both), its handle type (Unsupported unless OpaqueFd and GL_EXT_memory_object_fd), its
/// descriptor and VulkanImageInfo (Validation; one mip level, one layer, dedicated), the
/// format (gl_format) and the context's limits (Unsupported). Then it imports a duplicate
/// of the handle's fd: GL owns the duplicate once glImportMemoryFdEXT succeeds, and the
/// handle keeps its own fd either way. Errors left pending in the context by earlier calls
/// are cleared first. A failing GL call is named in the error (Internal, Unsupported for
/// GL_INVALID_ENUM, OutOfMemory); nothing is left behind on any failure.
///
/// The import does not order GL's accesses against the exporter's: the exporter's writes
/// must be complete (e.g. waited for with a fence) before GL reads, and GL's reads done
/// (glFinish) before the exporter writes again, or ordered with GL semaphores
/// (opengl/semaphore.hpp).
[[nodiscard]] Result<GlTexture> import_texture(const TextureShareHandle& handle);

/// Reads level 0 of `texture` into tightly packed texels (glGetTextureImage), row 0 first:
/// the same bytes, in the same order, as vulkan::readback of the exporter's texture. Runs in
/// the current context, which must be the import's; the context's pixel-pack state
/// (alignment, row length, skips, pack buffer) is restored afterwards. Validation for an
/// empty texture or no current context; Internal naming the GL call on failure.
[[nodiscard]] Result<std::vector<std::uint8_t>> read_pixels(const GlTexture& texture);

/// Writes tightly packed texels, row 0 first (the layout read_pixels returns), into level 0
/// of `texture` (glTextureSubImage2D). The copy is queued in the current context, which must
/// be the import's: it is ordered before GL's later commands and before a semaphore signal
/// or fence issued after it, not waited for here. The context's pixel-unpack state is
/// restored afterwards. Validation for an empty texture, no current context or a size that
/// is not width * height * texel size; Internal naming the GL call on failure.
[[nodiscard]] Result<void> write_pixels(const GlTexture& texture,
                                        std::span<const std::uint8_t> bytes);

}  // namespace geyser::opengl
