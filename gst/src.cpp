// geysersrc: a live GstPushSrc over a Geyser receiver. In system memory a host receiver
// (GEYSER_API_HOST) whose buffers show the shared host slots with no copy (host_views.hpp);
// in GL memory, when downstream asks for it first, an OpenGL receiver on a GstGLContext's
// thread whose frames are copied texture to texture into a GL pool (gl_source.hpp). Caps
// follow the stream's size and format, renegotiated when the sender resizes.
#include "src.hpp"

#include <gst/video/video.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "formats.hpp"
#include "gl_source.hpp"
#include "gl_util.hpp"
#include "host_views.hpp"

GST_DEBUG_CATEGORY_STATIC(geyser_src_debug);
#define GST_CAT_DEFAULT geyser_src_debug

namespace {

constexpr int kDefaultConnectTimeoutMs = 5000;
constexpr int kTickMs = 100;
constexpr int kConnectAttemptMs =
    1000;  // how often a waiting source looks again (sender back, flush)

enum Property { PROP_0, PROP_CHANNEL, PROP_RUNTIME_DIR, PROP_CONNECT_TIMEOUT, PROP_RECONNECT };

struct Settings {
  std::string channel;
  std::string runtime_dir;
  int connect_timeout_ms = kDefaultConnectTimeoutMs;
  bool reconnect = true;
};

// What one run (start to stop) of the source holds. Streaming thread only, but `flushing`
// and `wake_fd` (unlock from the application's thread).
struct Stream {
  geyser_receiver* receiver = nullptr;
  geyser::gst::HostViews views;
  GstVideoInfo info{};
  bool have_caps = false;
  bool video_meta = false;  // downstream reads GstVideoMeta strides
  std::uint64_t connection = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  bool said_waiting = false;
  bool memory_decided = false;
  bool gl = false;  // GL memory: the receiver is OpenGL and lives on the GL thread
};

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000u + std::uint64_t(ts.tv_nsec);
}

}  // namespace

struct _GstGeyserSrc {
  GstPushSrc parent;
  std::mutex* lock;  // settings
  Settings* settings;
  Stream* stream;
  geyser::gst::GlSource* gl;
  std::atomic<bool>* flushing;
  int wake_fd;
};

G_DEFINE_TYPE(GstGeyserSrc, gst_geyser_src, GST_TYPE_PUSH_SRC)

namespace {

Settings settings_of(GstGeyserSrc* self) {
  std::lock_guard<std::mutex> guard(*self->lock);
  return *self->settings;
}

// Waits at most kTickMs for the receiver's event fd or an unlock.
void wait_for_news(GstGeyserSrc* self) {
  pollfd fds[2] = {{self->wake_fd, POLLIN, 0}, {-1, POLLIN, 0}};
  if (self->stream->receiver != nullptr) {
    fds[1].fd = geyser_receiver_event_fd(self->stream->receiver);
  }
  ::poll(fds, fds[1].fd >= 0 ? 2 : 1, kTickMs);
}

// Runs `work`, which calls the receiver, where it must run: on the GL thread in GL memory.
void on_receiver_thread(GstGeyserSrc* self, const std::function<void()>& work) {
  if (self->stream->gl) {
    geyser::gst::on_gl_thread(self->gl->context(), work);
  } else {
    work();
  }
}

// Whether downstream takes GL memory before system memory (in the template's order).
bool downstream_wants_gl(GstGeyserSrc* self) {
  GstPad* pad = GST_BASE_SRC_PAD(self);
  GstCaps* ours = gst_pad_get_pad_template_caps(pad);
  GstCaps* peer = gst_pad_peer_query_caps(pad, ours);
  GstCaps* both = gst_caps_intersect_full(ours, peer, GST_CAPS_INTERSECT_FIRST);
  const bool gl = geyser::gst::is_gl_memory(both);
  gst_caps_unref(both);
  gst_caps_unref(peer);
  gst_caps_unref(ours);
  return gl;
}

// Picks the memory once per run; GL memory needs a GL context first.
GstFlowReturn decide_memory(GstGeyserSrc* self) {
  Stream& stream = *self->stream;
  if (stream.memory_decided) return GST_FLOW_OK;
  stream.memory_decided = true;
  if (!downstream_wants_gl(self)) return GST_FLOW_OK;
  std::string error;
  if (!self->gl->ensure_context(GST_ELEMENT(self), error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Downstream asks for GL memory, but there is no GL context"),
                      ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  stream.gl = true;
  GST_INFO_OBJECT(self, "GL memory: an OpenGL receiver on %" GST_PTR_FORMAT,
                  static_cast<void*>(self->gl->context()));
  return GST_FLOW_OK;
}

// An error on the bus for a failed Geyser call.
void post_error(GstGeyserSrc* self, geyser_status status, const char* doing,
                const std::string& channel) {
  const char* detail = geyser_last_error();
  if (status == GEYSER_ERROR_DEVICE_MISMATCH || status == GEYSER_ERROR_UNSUPPORTED) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Geyser channel '%s' cannot be read as %s", channel.c_str(),
                       self->stream->gl ? "GL textures in this GL context" : "host frames"),
                      ("%s: %s", doing, detail));
  } else if (status == GEYSER_ERROR_PERMISSION_DENIED) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("Geyser channel '%s' refused this process", channel.c_str()),
                      ("%s: %s", doing, detail));
  } else {
    GST_ELEMENT_ERROR(
        self, RESOURCE, READ,
        ("Geyser channel '%s' failed: %s", channel.c_str(), geyser_status_name(status)),
        ("%s: %s", doing, detail));
  }
}

GstFlowReturn connect(GstGeyserSrc* self, const Settings& settings) {
  if (settings.channel.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No channel set"),
                      ("set geysersrc's channel property to the name a sender published"));
    return GST_FLOW_ERROR;
  }
  geyser_receiver_options options;
  geyser_receiver_options_init(&options);
  options.runtime_dir = settings.runtime_dir.empty() ? nullptr : settings.runtime_dir.c_str();
  const std::uint64_t start = monotonic_ns();
  for (;;) {
    if (self->flushing->load()) return GST_FLOW_FLUSHING;
    // Attempts long enough for a busy sender to answer, short enough to see a flush.
    const auto spent_ms = static_cast<int>((monotonic_ns() - start) / 1000000u);
    const int attempt_ms =
        settings.connect_timeout_ms < 0
            ? kConnectAttemptMs
            : std::clamp(settings.connect_timeout_ms - spent_ms, 1, kConnectAttemptMs);
    const geyser_api api = self->stream->gl ? GEYSER_API_OPENGL : GEYSER_API_HOST;
    geyser_status status = GEYSER_OK;
    on_receiver_thread(self, [&] {
      status = geyser_receiver_connect(settings.channel.c_str(), api, &options, attempt_ms,
                                       &self->stream->receiver);
    });
    if (status == GEYSER_OK) return GST_FLOW_OK;
    const auto waited_ms = static_cast<int>((monotonic_ns() - start) / 1000000u);
    const bool forever = settings.connect_timeout_ms < 0;
    // Disconnected: nobody publishes the name yet; Timeout: a sender does but has not
    // answered yet (a busy or starting one). Both are waited out.
    const bool waiting = status == GEYSER_ERROR_DISCONNECTED || status == GEYSER_ERROR_TIMEOUT;
    if (!waiting || (!forever && waited_ms >= settings.connect_timeout_ms)) {
      if (status == GEYSER_ERROR_DISCONNECTED) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                          ("No Geyser channel '%s'", settings.channel.c_str()),
                          ("no sender published it within %d ms (connect-timeout): %s",
                           settings.connect_timeout_ms, geyser_last_error()));
      } else if (status == GEYSER_ERROR_TIMEOUT) {
        GST_ELEMENT_ERROR(
            self, RESOURCE, NOT_FOUND,
            ("The sender of Geyser channel '%s' does not answer", settings.channel.c_str()),
            ("no answer within %d ms (connect-timeout): %s", settings.connect_timeout_ms,
             geyser_last_error()));
      } else {
        post_error(self, status, "geyser_receiver_connect", settings.channel);
      }
      return GST_FLOW_ERROR;
    }
  }
}

// The next frame into `frame`: waits for it across sender restarts (reconnect) or ends
// the stream when the sender is gone (no reconnect).
GstFlowReturn next_frame(GstGeyserSrc* self, const Settings& settings, geyser_frame& frame) {
  Stream& stream = *self->stream;
  for (;;) {
    if (self->flushing->load()) return GST_FLOW_FLUSHING;
    std::string error;
    if (!stream.views.protect_held(error)) {
      GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Cannot keep a frame a buffer still shows"),
                        ("%s", error.c_str()));
      return GST_FLOW_ERROR;
    }
    frame = geyser_frame{};
    frame.struct_size = sizeof frame;
    geyser_status status = GEYSER_OK;
    on_receiver_thread(self, [&] { status = geyser_receiver_acquire(stream.receiver, 0, &frame); });
    if (status == GEYSER_OK) {
      stream.said_waiting = false;
      return GST_FLOW_OK;
    }
    if (status == GEYSER_ERROR_DISCONNECTED) {
      if (!settings.reconnect) {
        GST_INFO_OBJECT(self, "the sender of '%s' is gone: end of stream",
                        settings.channel.c_str());
        return GST_FLOW_EOS;
      }
      if (!stream.said_waiting) {
        GST_ELEMENT_WARNING(self, RESOURCE, READ,
                            ("The sender of Geyser channel '%s' is gone; waiting for it to "
                             "come back",
                             settings.channel.c_str()),
                            ("%s", geyser_last_error()));
        stream.said_waiting = true;
      }
    } else if (status != GEYSER_ERROR_TIMEOUT) {
      post_error(self, status, "geyser_receiver_acquire", settings.channel);
      return GST_FLOW_ERROR;
    }
    wait_for_news(self);
  }
}

// Sets caps for the frame's size and format when they changed.
GstFlowReturn follow_caps(GstGeyserSrc* self, const Settings& settings, const geyser_frame& frame) {
  Stream& stream = *self->stream;
  const auto format = geyser::gst::video_format(frame.format);
  if (format && stream.gl && !geyser::gst::gl_carries(*format)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("Geyser channel '%s' carries %s, which geysersrc gives in system memory "
                       "only",
                       settings.channel.c_str(), gst_video_format_to_string(*format)),
                      ("GL memory carries %s", geyser::gst::gl_formats()));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!format) {
    geyser_format_info info{};
    info.struct_size = sizeof info;
    (void)geyser_format_get_info(frame.format, &info);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("Geyser channel '%s' carries %s, which video/x-raw has no format for",
                       settings.channel.c_str(), info.name != nullptr ? info.name : "?"),
                      ("geysersrc produces %s", geyser::gst::carried_formats()));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (stream.have_caps && GST_VIDEO_INFO_FORMAT(&stream.info) == *format &&
      GST_VIDEO_INFO_WIDTH(&stream.info) == static_cast<gint>(frame.width) &&
      GST_VIDEO_INFO_HEIGHT(&stream.info) == static_cast<gint>(frame.height)) {
    return GST_FLOW_OK;
  }
  GstVideoInfo info;
  gst_video_info_set_format(&info, *format, frame.width, frame.height);
  GST_VIDEO_INFO_FPS_N(&info) = 0;  // frames come when the sender presents them
  GST_VIDEO_INFO_FPS_D(&info) = 1;
  GstCaps* caps = gst_video_info_to_caps(&info);
  if (stream.gl) {
    gst_caps_set_features(caps, 0,
                          gst_caps_features_new(GST_CAPS_FEATURE_MEMORY_GL_MEMORY, nullptr));
    gst_caps_set_simple(caps, "texture-target", G_TYPE_STRING, GST_GL_TEXTURE_TARGET_2D_STR,
                        nullptr);
  }
  const gboolean ok = gst_base_src_set_caps(GST_BASE_SRC(self), caps);
  std::string error;
  const bool pooled = !ok || !stream.gl || self->gl->configure(caps, info, error);
  gst_caps_unref(caps);
  if (!pooled) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED,
                      ("Cannot make GL textures for %ux%u %s", frame.width, frame.height,
                       gst_video_format_to_string(*format)),
                      ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  if (!ok) {
    GST_ELEMENT_ERROR(
        self, CORE, NEGOTIATION,
        ("Downstream refused %s %ux%u from Geyser channel '%s'",
         gst_video_format_to_string(*format), frame.width, frame.height, settings.channel.c_str()),
        (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  stream.info = info;
  stream.have_caps = true;
  return GST_FLOW_OK;
}

void free_view_ref(gpointer data) {
  auto* view = static_cast<std::shared_ptr<geyser::gst::HostView>*>(data);
  (*view)->memories.fetch_sub(1);
  delete view;
}

// The frame's pixels as a buffer: the shared slot itself, or (when its rows lie at another
// pitch than downstream, which reads no GstVideoMeta, would assume) a packed copy.
GstBuffer* frame_buffer(GstGeyserSrc* self, const geyser_frame& frame, std::string& error) {
  Stream& stream = *self->stream;
  if (stream.gl) {  // a copy on the GPU; the frame goes back to the sender right after it
    GstBuffer* buffer = nullptr;
    on_receiver_thread(self, [&] {
      buffer = self->gl->copy_frame(frame, error);
      (void)geyser_receiver_release(stream.receiver);
    });
    return buffer;
  }
  const auto default_pitch =
      static_cast<std::uint32_t>(GST_VIDEO_INFO_PLANE_STRIDE(&stream.info, 0));
  if (!stream.video_meta && frame.row_pitch != default_pitch) {
    GstBuffer* buffer =
        gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&stream.info), nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    const std::size_t row = std::min<std::size_t>(default_pitch, frame.row_pitch);
    for (std::uint32_t y = 0; y < frame.height; ++y) {
      std::memcpy(
          map.data + std::size_t{y} * default_pitch,
          static_cast<const std::uint8_t*>(frame.host_data) + std::size_t{y} * frame.row_pitch,
          row);
    }
    gst_buffer_unmap(buffer, &map);
    return buffer;
  }
  std::shared_ptr<geyser::gst::HostView> view = stream.views.view_of(frame, error);
  if (view == nullptr) return nullptr;
  view->memories.fetch_add(1);
  const std::size_t size = std::size_t{frame.row_pitch} * frame.height;
  GstMemory* memory =
      gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, view->data(), view->size(), 0, size,
                             new std::shared_ptr<geyser::gst::HostView>(view), free_view_ref);
  GstBuffer* buffer = gst_buffer_new();
  gst_buffer_append_memory(buffer, memory);
  gsize offset[GST_VIDEO_MAX_PLANES] = {0};
  gint stride[GST_VIDEO_MAX_PLANES] = {static_cast<gint>(frame.row_pitch)};
  gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE,
                                 GST_VIDEO_INFO_FORMAT(&stream.info), frame.width, frame.height, 1,
                                 offset, stride);
  return buffer;
}

// The running time the sender presented the frame at, never before the last buffer's.
GstClockTime presentation_time(GstGeyserSrc* self, const geyser_frame& frame) {
  Stream& stream = *self->stream;
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock == nullptr) return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  const std::uint64_t mono = monotonic_ns();
  const std::uint64_t age = mono > frame.timestamp_ns ? mono - frame.timestamp_ns : 0;
  GstClockTime pts = now > base ? now - base : 0;
  pts = pts > age ? pts - age : 0;
  if (GST_CLOCK_TIME_IS_VALID(stream.last_pts) && pts < stream.last_pts) pts = stream.last_pts;
  stream.last_pts = pts;
  return pts;
}

GstFlowReturn create(GstPushSrc* push, GstBuffer** out) {
  auto* self = GST_GEYSER_SRC(push);
  const Settings settings = settings_of(self);
  Stream& stream = *self->stream;
  if (const GstFlowReturn memory = decide_memory(self); memory != GST_FLOW_OK) return memory;
  if (stream.receiver == nullptr) {
    const GstFlowReturn connected = connect(self, settings);
    if (connected != GST_FLOW_OK) return connected;
  }
  geyser_frame frame{};
  GstFlowReturn flow = next_frame(self, settings, frame);
  if (flow != GST_FLOW_OK) return flow;
  flow = follow_caps(self, settings, frame);
  if (flow != GST_FLOW_OK) return flow;
  std::string error;
  GstBuffer* buffer = frame_buffer(self, frame, error);
  if (buffer == nullptr) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED,
                      ("Cannot map a frame of '%s'", settings.channel.c_str()),
                      ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  GST_BUFFER_PTS(buffer) = presentation_time(self, frame);
  GST_BUFFER_OFFSET(buffer) = frame.frame;
  if (frame.connection != stream.connection) {
    if (stream.connection != 0) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    stream.connection = frame.connection;
  }
  *out = buffer;
  return GST_FLOW_OK;
}

gboolean start(GstBaseSrc* base) {
  auto* self = GST_GEYSER_SRC(base);
  self->flushing->store(false);
  *self->stream = Stream{};
  return TRUE;
}

// Buffers still downstream keep private copies; then the receiver lets go.
gboolean stop(GstBaseSrc* base) {
  auto* self = GST_GEYSER_SRC(base);
  Stream& stream = *self->stream;
  std::string error;
  if (!stream.views.protect_held(error)) {
    GST_WARNING_OBJECT(self, "a buffer may show a rewritten slot: %s", error.c_str());
  }
  GST_DEBUG_OBJECT(self, "%" G_GUINT64_FORMAT " frames were copied for buffers held downstream",
                   stream.views.detached_count());
  on_receiver_thread(self, [&] { geyser_receiver_destroy(stream.receiver); });
  stream.receiver = nullptr;
  stream.views.clear();
  self->gl->reset();
  stream.gl = false;
  return TRUE;
}

gboolean unlock(GstBaseSrc* base) {
  auto* self = GST_GEYSER_SRC(base);
  self->flushing->store(true);
  const std::uint64_t one = 1;
  (void)!::write(self->wake_fd, &one, sizeof one);
  return TRUE;
}

gboolean unlock_stop(GstBaseSrc* base) {
  auto* self = GST_GEYSER_SRC(base);
  std::uint64_t drained = 0;
  (void)!::read(self->wake_fd, &drained, sizeof drained);
  self->flushing->store(false);
  return TRUE;
}

// Caps are set from each stream's frames, in create().
gboolean negotiate(GstBaseSrc*) {
  return TRUE;
}

GstCaps* get_caps(GstBaseSrc* base, GstCaps* filter) {
  GstCaps* caps = nullptr;
  if (GstCaps* current = gst_pad_get_current_caps(GST_BASE_SRC_PAD(base))) {
    caps = current;
  } else {
    caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(base));
  }
  if (filter != nullptr) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

gboolean decide_allocation(GstBaseSrc* base, GstQuery* query) {
  auto* self = GST_GEYSER_SRC(base);
  self->stream->video_meta =
      gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  return TRUE;
}

void set_context(GstElement* element, GstContext* context) {
  GST_GEYSER_SRC(element)->gl->set_context(element, context);
  GST_ELEMENT_CLASS(gst_geyser_src_parent_class)->set_context(element, context);
}

gboolean query(GstBaseSrc* base, GstQuery* query) {
  auto* self = GST_GEYSER_SRC(base);
  if (self->gl->answer(GST_ELEMENT(self), query)) return TRUE;
  return GST_BASE_SRC_CLASS(gst_geyser_src_parent_class)->query(base, query);
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  auto* self = GST_GEYSER_SRC(object);
  std::lock_guard<std::mutex> guard(*self->lock);
  Settings& s = *self->settings;
  switch (id) {
    case PROP_CHANNEL:
      s.channel = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_RUNTIME_DIR:
      s.runtime_dir = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_CONNECT_TIMEOUT: s.connect_timeout_ms = g_value_get_int(value); break;
    case PROP_RECONNECT: s.reconnect = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  auto* self = GST_GEYSER_SRC(object);
  std::lock_guard<std::mutex> guard(*self->lock);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_CHANNEL: g_value_set_string(value, s.channel.c_str()); break;
    case PROP_RUNTIME_DIR: g_value_set_string(value, s.runtime_dir.c_str()); break;
    case PROP_CONNECT_TIMEOUT: g_value_set_int(value, s.connect_timeout_ms); break;
    case PROP_RECONNECT: g_value_set_boolean(value, s.reconnect); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  auto* self = GST_GEYSER_SRC(object);
  on_receiver_thread(self, [&] { geyser_receiver_destroy(self->stream->receiver); });
  delete self->stream;
  delete self->gl;
  delete self->settings;
  delete self->lock;
  delete self->flushing;
  ::close(self->wake_fd);
  G_OBJECT_CLASS(gst_geyser_src_parent_class)->finalize(object);
}

void install_properties(GObjectClass* object_class) {
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      object_class, PROP_CHANNEL,
      g_param_spec_string("channel", "Channel", "The name of the Geyser channel to read", nullptr,
                          flags));
  g_object_class_install_property(
      object_class, PROP_RUNTIME_DIR,
      g_param_spec_string("runtime-dir", "Runtime directory",
                          "Where channels are published (empty: $GEYSER_RUNTIME_DIR, then "
                          "$XDG_RUNTIME_DIR/geyser)",
                          nullptr, flags));
  g_object_class_install_property(
      object_class, PROP_CONNECT_TIMEOUT,
      g_param_spec_int("connect-timeout", "Connect timeout",
                       "Milliseconds to wait for a sender to publish the channel at start before "
                       "an error (-1: forever)",
                       -1, G_MAXINT, kDefaultConnectTimeoutMs, flags));
  g_object_class_install_property(
      object_class, PROP_RECONNECT,
      g_param_spec_boolean("reconnect", "Reconnect",
                           "When the sender goes away, wait for it to come back and go on "
                           "(TRUE), or end the stream (FALSE)",
                           TRUE, flags));
}

}  // namespace

static void gst_geyser_src_class_init(GstGeyserSrcClass* klass) {
  GST_DEBUG_CATEGORY_INIT(geyser_src_debug, "geysersrc", 0, "Geyser channel source");
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  object_class->finalize = finalize;
  install_properties(object_class);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  element_class->set_context = set_context;
  gst_element_class_set_static_metadata(
      element_class, "Geyser channel source", "Source/Video",
      "Reads the frames of a Geyser channel: zero-copy from shared host memory, or as GL "
      "textures",
      "Geyser developers");
  GstCaps* caps = geyser::gst::carried_caps();  // system memory first: GL only when asked
  gst_caps_append(caps, geyser::gst::gl_caps());
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  auto* base_class = GST_BASE_SRC_CLASS(klass);
  base_class->start = start;
  base_class->stop = stop;
  base_class->unlock = unlock;
  base_class->unlock_stop = unlock_stop;
  base_class->negotiate = negotiate;
  base_class->get_caps = get_caps;
  base_class->decide_allocation = decide_allocation;
  base_class->query = query;
  GST_PUSH_SRC_CLASS(klass)->create = create;
}

static void gst_geyser_src_init(GstGeyserSrc* self) {
  self->lock = new std::mutex;
  self->settings = new Settings;
  self->stream = new Stream;
  self->gl = new geyser::gst::GlSource;
  self->flushing = new std::atomic<bool>(false);
  self->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}
