#include "gl_source.hpp"

#include "gl_util.hpp"

namespace geyser::gst {
namespace {

constexpr guint kMinBuffers = 2;

template <typename T>
void clear_object(T*& object) {
  if (object != nullptr) gst_object_unref(object);
  object = nullptr;
}

// A context of the display's (for any thread) or a new one; the display's lock held.
bool display_context(GstGLDisplay* display, GstGLContext* other, GstGLContext*& context,
                     std::string& error) {
  do {
    clear_object(context);
    context = gst_gl_display_get_gl_context_for_thread(display, nullptr);
    if (context == nullptr) {
      GError* failure = nullptr;
      if (!gst_gl_display_create_context(display, other, &context, &failure)) {
        error = failure != nullptr ? failure->message : "gst_gl_display_create_context failed";
        g_clear_error(&failure);
        return false;
      }
    }
  } while (!gst_gl_display_add_context(display, context));
  return true;
}

}  // namespace

bool GlSource::ensure_context(GstElement* element, std::string& error) {
  if (context_ != nullptr) return true;
  if (!gst_gl_ensure_element_data(element, &display_, &other_context_)) {
    error = "no GL display (GstGL found none to open; set DISPLAY or GST_GL_PLATFORM)";
    return false;
  }
  if (gst_gl_query_local_gl_context(element, GST_PAD_SRC, &context_)) return true;
  GST_OBJECT_LOCK(display_);
  const bool made = display_context(display_, other_context_, context_, error);
  GST_OBJECT_UNLOCK(display_);
  return made;
}

void GlSource::set_context(GstElement* element, GstContext* context) {
  gst_gl_handle_set_context(element, context, &display_, &other_context_);
}

bool GlSource::answer(GstElement* element, GstQuery* query) {
  return GST_QUERY_TYPE(query) == GST_QUERY_CONTEXT &&
         gst_gl_handle_context_query(element, query, display_, context_, other_context_);
}

bool GlSource::configure(GstCaps* caps, const GstVideoInfo& info, std::string& error) {
  if (pool_ != nullptr) gst_buffer_pool_set_active(pool_, FALSE);
  clear_object(pool_);
  pool_ = gst_gl_buffer_pool_new(context_);
  GstStructure* config = gst_buffer_pool_get_config(pool_);
  gst_buffer_pool_config_set_params(config, caps, static_cast<guint>(GST_VIDEO_INFO_SIZE(&info)),
                                    kMinBuffers, 0);
  gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_GL_SYNC_META);
  if (!gst_buffer_pool_set_config(pool_, config) || !gst_buffer_pool_set_active(pool_, TRUE)) {
    error = "the GL buffer pool refused the caps";
    clear_object(pool_);
    return false;
  }
  info_ = info;
  return true;
}

GstBuffer* GlSource::copy_frame(const geyser_frame& frame, std::string& error) {
  GstBuffer* buffer = nullptr;
  if (pool_ == nullptr || gst_buffer_pool_acquire_buffer(pool_, &buffer, nullptr) != GST_FLOW_OK) {
    error = "no buffer from the GL pool";
    return nullptr;
  }
  GstVideoFrame mapped;
  if (!gst_video_frame_map(&mapped, &info_, buffer, gl_map_flags(GST_MAP_WRITE))) {
    gst_buffer_unref(buffer);
    error = "cannot map a GL buffer's texture";
    return nullptr;
  }
  const guint texture = *static_cast<guint*>(mapped.data[0]);
  const bool copied =
      copy_texture(context_, frame.gl_texture, texture, frame.width, frame.height, error);
  gst_video_frame_unmap(&mapped);
  if (!copied) {
    gst_buffer_unref(buffer);
    return nullptr;
  }
  if (GstGLSyncMeta* sync = gst_buffer_get_gl_sync_meta(buffer)) {
    gst_gl_sync_meta_set_sync_point(sync, context_);  // downstream waits for the copy
  }
  return buffer;
}

void GlSource::reset() {
  if (pool_ != nullptr) gst_buffer_pool_set_active(pool_, FALSE);
  clear_object(pool_);
  clear_object(context_);
  clear_object(other_context_);
  clear_object(display_);
}

}  // namespace geyser::gst
