// Timeline semaphores exported by Vulkan (opaque fds), imported into OpenGL, so that GL's
// accesses to a shared texture are ordered against the other API's on the GPU
// (GL_EXT_semaphore, GL_EXT_semaphore_fd and GL_NV_timeline_semaphore; NVIDIA has all
// three, Mesa's llvmpipe none, so channels fall back to the `cpu` sync mode there).
//
// Like the rest of geyser::opengl, every function works in the context current on the
// calling thread.
#pragma once

#include <cstdint>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::opengl {

/// The image layouts GL_EXT_semaphore names (its table 4.4): what the texture is left in
/// when GL signals, and what it is in when GL waits. The Vulkan side of a channel uses
/// VK_IMAGE_LAYOUT_GENERAL (docs/architecture.md, rule 4), that is General.
enum class GlLayout : std::uint8_t {
  General,          ///< GL_LAYOUT_GENERAL_EXT = VK_IMAGE_LAYOUT_GENERAL
  ColorAttachment,  ///< GL_LAYOUT_COLOR_ATTACHMENT_EXT
  ShaderReadOnly,   ///< GL_LAYOUT_SHADER_READ_ONLY_EXT
  TransferSrc,      ///< GL_LAYOUT_TRANSFER_SRC_EXT
  TransferDst,      ///< GL_LAYOUT_TRANSFER_DST_EXT
};
/// The GLenum of `layout` (GL_LAYOUT_GENERAL_EXT, ...).
[[nodiscard]] std::uint32_t to_gl_enum(GlLayout layout) noexcept;

/// Whether the current context can import Vulkan timeline semaphores: GL_EXT_semaphore_fd
/// and GL_NV_timeline_semaphore. False when no context is current.
[[nodiscard]] bool can_import_timeline_semaphores();

/// A Vulkan timeline semaphore imported into GL. Owns the GL semaphore name (the payload
/// stays alive while the exporter or this import holds it). Move-only. Destroy it with its
/// context (or one sharing objects with it) current, like GlTexture.
class GlTimelineSemaphore {
 public:
  /// Imports a duplicate of `fd`, an opaque fd of a timeline semaphore
  /// (vkGetSemaphoreFdKHR), into the current context: glCreateSemaphoresNV with
  /// GL_SEMAPHORE_TYPE_TIMELINE_NV, then glImportSemaphoreFdEXT. `fd` is not consumed; GL
  /// owns the duplicate once the import succeeds. Validation with no current context or an
  /// invalid fd; Unsupported naming the missing extension; the failing GL call otherwise.
  [[nodiscard]] static Result<GlTimelineSemaphore> import(const UniqueHandle& fd);

  GlTimelineSemaphore() noexcept = default;
  ~GlTimelineSemaphore();
  GlTimelineSemaphore(GlTimelineSemaphore&& other) noexcept;
  GlTimelineSemaphore& operator=(GlTimelineSemaphore&& other) noexcept;
  GlTimelineSemaphore(const GlTimelineSemaphore&) = delete;
  GlTimelineSemaphore& operator=(const GlTimelineSemaphore&) = delete;

  /// The GL semaphore name; 0 when empty.
  [[nodiscard]] std::uint32_t name() const noexcept { return name_; }

  /// GL's later commands wait, on the GPU, until the semaphore reaches `value`; `texture`
  /// (0: none) is in `layout` then (glWaitSemaphoreEXT). Only wait for a value the other
  /// side has submitted the signal of: a wait nobody signals stalls the context.
  [[nodiscard]] Result<void> wait(std::uint64_t value, std::uint32_t texture,
                                  GlLayout layout) const;
  /// Signals `value` after GL's earlier commands, leaving `texture` (0: none) in `layout`
  /// for the other API (glSignalSemaphoreEXT), and flushes so that it reaches the GPU.
  [[nodiscard]] Result<void> signal(std::uint64_t value, std::uint32_t texture,
                                    GlLayout layout) const;

 private:
  explicit GlTimelineSemaphore(std::uint32_t name) noexcept : name_(name) {}
  std::uint32_t name_ = 0;
};

}  // namespace geyser::opengl
