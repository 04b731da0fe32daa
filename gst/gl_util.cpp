#include "gl_util.hpp"

#include <gst/gl/gstglfuncs.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace geyser::gst {
namespace {

// GstGL's texture for each (gst_gl_format_from_video_info) is GL_RGBA8, GL_RGBA8, GL_R8
// and GL_RGBA16: those of Geyser's Rgba8Unorm, R8Unorm and Rgba16Unorm in GL.
constexpr std::array<GstVideoFormat, 4> kGlFormats{GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBx,
                                                   GST_VIDEO_FORMAT_GRAY8,
                                                   GST_VIDEO_FORMAT_RGBA64_LE};

constexpr GLenum kTexture2D = 0x0DE1;  // GL_TEXTURE_2D
constexpr GLenum kNoError = 0;

using CopyImageSubData = void (*)(GLuint, GLenum, GLint, GLint, GLint, GLint, GLuint, GLenum, GLint,
                                  GLint, GLint, GLint, GLsizei, GLsizei, GLsizei);

CopyImageSubData copy_function(GstGLContext* context) {
  const bool core =
      gst_gl_context_check_gl_version(
          context, static_cast<GstGLAPI>(GST_GL_API_OPENGL | GST_GL_API_OPENGL3), 4, 3) ||
      gst_gl_context_check_gl_version(context, GST_GL_API_GLES2, 3, 2);
  const char* name = nullptr;
  if (core || gst_gl_context_check_feature(context, "GL_ARB_copy_image")) {
    name = "glCopyImageSubData";
  } else if (gst_gl_context_check_feature(context, "GL_EXT_copy_image")) {
    name = "glCopyImageSubDataEXT";
  } else {
    return nullptr;
  }
  return reinterpret_cast<CopyImageSubData>(gst_gl_context_get_proc_address(context, name));
}

void run_work(GstGLContext*, gpointer data) {
  (*static_cast<const std::function<void()>*>(data))();
}

}  // namespace

GstMapFlags gl_map_flags(GstMapFlags access) noexcept {
  static_assert(sizeof(GstMapFlags) == sizeof(unsigned));
  const unsigned bits = static_cast<unsigned>(access) | static_cast<unsigned>(GST_MAP_GL);
  GstMapFlags flags;
  std::memcpy(&flags, &bits, sizeof flags);
  return flags;
}

bool is_gl_memory(const GstCaps* caps) {
  if (caps == nullptr || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return false;
  GstCapsFeatures* features = gst_caps_get_features(caps, 0);
  return features != nullptr &&
         gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_GL_MEMORY);
}

GstCaps* gl_caps() {
  GValue list = G_VALUE_INIT;
  gst_value_list_init(&list, kGlFormats.size());
  for (GstVideoFormat format : kGlFormats) {
    GValue name = G_VALUE_INIT;
    g_value_init(&name, G_TYPE_STRING);
    g_value_set_static_string(&name, gst_video_format_to_string(format));
    gst_value_list_append_and_take_value(&list, &name);
  }
  GstCaps* caps = gst_caps_new_simple("video/x-raw", "width", GST_TYPE_INT_RANGE, 1, 32768,
                                      "height", GST_TYPE_INT_RANGE, 1, 32768, "framerate",
                                      GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, "texture-target",
                                      G_TYPE_STRING, GST_GL_TEXTURE_TARGET_2D_STR, nullptr);
  gst_structure_take_value(gst_caps_get_structure(caps, 0), "format", &list);
  gst_caps_set_features(caps, 0, gst_caps_features_new(GST_CAPS_FEATURE_MEMORY_GL_MEMORY, nullptr));
  return caps;
}

bool gl_carries(GstVideoFormat format) noexcept {
  for (GstVideoFormat f : kGlFormats) {
    if (f == format) return true;
  }
  return false;
}

const char* gl_formats() noexcept {
  return "RGBA, RGBx, GRAY8, RGBA64_LE";
}

void on_gl_thread(GstGLContext* context, const std::function<void()>& work) {
  gst_gl_context_thread_add(context, run_work, const_cast<std::function<void()>*>(&work));
}

bool copy_texture(GstGLContext* context, guint from, guint to, guint width, guint height,
                  std::string& error) {
  const CopyImageSubData copy = copy_function(context);
  if (copy == nullptr) {
    error = "the GL context has no glCopyImageSubData (GL 4.3, GLES 3.2, ARB/EXT_copy_image)";
    return false;
  }
  const GstGLFuncs* gl = context->gl_vtable;
  for (int i = 0; i < 16 && gl->GetError() != kNoError; ++i) {  // errors of earlier work
  }
  copy(from, kTexture2D, 0, 0, 0, 0, to, kTexture2D, 0, 0, 0, 0, static_cast<GLsizei>(width),
       static_cast<GLsizei>(height), 1);
  const GLenum status = gl->GetError();
  if (status != kNoError) {
    char text[64];
    std::snprintf(text, sizeof text, "glCopyImageSubData failed: GL error 0x%04x", status);
    error = text;
    return false;
  }
  return true;
}

}  // namespace geyser::gst
