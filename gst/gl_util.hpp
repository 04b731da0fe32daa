// What both elements need for video/x-raw(memory:GLMemory): which formats GL memory
// carries, running work on a GstGLContext's thread, and a texture-to-texture copy.
#pragma once

#include <gst/gl/gl.h>

#include <functional>
#include <optional>
#include <string>

#include "geyser/geyser.h"

namespace geyser::gst {

/// `access` (GST_MAP_READ or GST_MAP_WRITE) with GST_MAP_GL: a GL memory's texture. The
/// bit lies beyond GstMapFlags' enumerators, so it is set in the enum's storage.
[[nodiscard]] GstMapFlags gl_map_flags(GstMapFlags access) noexcept;

/// Whether `caps` (fixed or not) ask for GL memory in their first structure.
[[nodiscard]] bool is_gl_memory(const GstCaps* caps);
/// video/x-raw(memory:GLMemory), texture-target 2D, in the formats whose GstGL texture is
/// the one Geyser's OpenGL backend makes for the same frames (RGBA, RGBx, GRAY8,
/// RGBA64_LE). The caller owns the caps.
[[nodiscard]] GstCaps* gl_caps();
/// Whether GL memory carries `format`; "RGBA, RGBx, ...", for messages.
[[nodiscard]] bool gl_carries(GstVideoFormat format) noexcept;
[[nodiscard]] const char* gl_formats() noexcept;

/// Runs `work` on `context`'s thread (the context current there) and waits for it.
void on_gl_thread(GstGLContext* context, const std::function<void()>& work);

/// Copies `width` x `height` texels of GL_TEXTURE_2D `from` into GL_TEXTURE_2D `to` (of
/// one size class) with glCopyImageSubData, in the current context: GL 4.3, GLES 3.2,
/// ARB_copy_image or EXT_copy_image. False with `error` when the context has none of them
/// or GL reports an error.
[[nodiscard]] bool copy_texture(GstGLContext* context, guint from, guint to, guint width,
                                guint height, std::string& error);

}  // namespace geyser::gst
