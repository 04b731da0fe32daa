// geysersink: a GstBaseSink that publishes its input as a Geyser channel. System memory: a
// Vulkan sender (GEYSER_API_VULKAN, on the device the `device` property names, else the default)
// published on the first caps, each buffer one geyser_sender_write. GL memory: an OpenGL sender on
// the buffers' GL context, published with the first buffer, each texture copied into a slot on the
// GPU. A caps change is a resize, a new generation. A thread answers receivers and listers between
// buffers.
#include "sink.hpp"

#include <gst/video/video.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "device.hpp"
#include "formats.hpp"
#include "gl_util.hpp"

GST_DEBUG_CATEGORY_STATIC(geyser_sink_debug);
#define GST_CAT_DEFAULT geyser_sink_debug

namespace {

constexpr int kDefaultWriteTimeoutMs = 100;
constexpr int kPollTickMs = 200;

enum Property {
  PROP_0,
  PROP_CHANNEL,
  PROP_RUNTIME_DIR,
  PROP_SLOTS,
  PROP_WRITE_TIMEOUT,
  PROP_DEVICE
};

struct Settings {
  std::string channel;
  std::string runtime_dir;
  guint slots = 3;
  int write_timeout_ms = kDefaultWriteTimeoutMs;
  std::string device;  // a device SPEC for system memory; empty: the default
};

// The published channel; guarded by `sender_lock` (the streaming and the poll thread).
// In GL memory, `gl_context` (a reference) is the buffers' context: the sender's calls
// run on its thread; a caps change is a resize done there with the next buffer (`resize`).
struct Publication {
  geyser_sender* sender = nullptr;
  geyser_device* device = nullptr;  // the `device` property's, outlives `sender`
  GstVideoInfo info{};
  geyser_format format = GEYSER_FORMAT_RGBA8_UNORM;
  bool gl = false;
  bool resize = false;
  GstGLContext* gl_context = nullptr;
  std::uint64_t dropped = 0;
};

}  // namespace

struct _GstGeyserSink {
  GstBaseSink parent;
  std::mutex* lock;  // settings
  Settings* settings;
  std::mutex* sender_lock;
  Publication* publication;
  std::thread* poller;
  std::atomic<bool>* stopping;
  int wake_fd;
};

G_DEFINE_TYPE(GstGeyserSink, gst_geyser_sink, GST_TYPE_BASE_SINK)

namespace {

Settings settings_of(GstGeyserSink* self) {
  std::lock_guard<std::mutex> guard(*self->lock);
  return *self->settings;
}

// Answers receivers and listers whenever the sender's event fd says so.
void poll_loop(GstGeyserSink* self) {
  while (!self->stopping->load()) {
    pollfd fds[2] = {{self->wake_fd, POLLIN, 0}, {-1, POLLIN, 0}};
    {
      std::lock_guard<std::mutex> guard(*self->sender_lock);
      if (self->publication->sender != nullptr) {
        fds[1].fd = geyser_sender_event_fd(self->publication->sender);
      }
    }
    ::poll(fds, 2, kPollTickMs);
    std::lock_guard<std::mutex> guard(*self->sender_lock);
    Publication& pub = *self->publication;
    if (self->stopping->load() || pub.sender == nullptr) continue;
    geyser_status status = GEYSER_OK;
    std::string error;
    const auto poll_once = [&] {
      status = geyser_sender_poll(pub.sender, 0);
      if (status != GEYSER_OK) error = geyser_last_error();
    };
    if (pub.gl_context != nullptr) {
      geyser::gst::on_gl_thread(pub.gl_context, poll_once);
    } else {
      poll_once();
    }
    if (status != GEYSER_OK) GST_WARNING_OBJECT(self, "geyser_sender_poll: %s", error.c_str());
  }
}

// The `device` property's Vulkan device into the publication, for system memory; GL memory
// is published on its GL context's device, so a device set then is an error. On the bus.
gboolean open_device(GstGeyserSink* self, geyser_api api, const Settings& settings) {
  if (settings.device.empty()) return TRUE;
  if (api != GEYSER_API_VULKAN) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("The device property applies to system memory"),
                      ("GL memory is published on its GL context's device; leave device unset, "
                       "or negotiate video/x-raw in system memory"));
    return FALSE;
  }
  if (self->publication->device != nullptr) return TRUE;  // opened by a publish that failed
  std::string error;
  const geyser_status status =
      geyser::gst::open_vulkan_device(settings.device, &self->publication->device, error);
  if (status == GEYSER_OK) return TRUE;
  GST_ELEMENT_ERROR(
      self, RESOURCE, NOT_FOUND,
      ("Cannot open device '%s': %s", settings.device.c_str(), geyser_status_name(status)),
      ("%s", error.c_str()));
  return FALSE;
}

// Publishes the channel with `api` (its thread, for OpenGL); an error on the bus if not.
gboolean publish(GstGeyserSink* self, geyser_api api) {
  const Publication& pub = *self->publication;
  const Settings settings = settings_of(self);
  if (settings.channel.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No channel set"),
                      ("set geysersink's channel property to the name to publish"));
    return FALSE;
  }
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  if (!open_device(self, api, settings)) return FALSE;
  options.device = self->publication->device;
  options.runtime_dir = settings.runtime_dir.empty() ? nullptr : settings.runtime_dir.c_str();
  options.slots = settings.slots;
  const geyser_status status = geyser_sender_publish(
      settings.channel.c_str(), api, GST_VIDEO_INFO_WIDTH(&pub.info),
      GST_VIDEO_INFO_HEIGHT(&pub.info), pub.format, &options, &self->publication->sender);
  if (status == GEYSER_OK) return TRUE;
  if (status == GEYSER_ERROR_VALIDATION) {
    GST_ELEMENT_ERROR(self, RESOURCE, BUSY,
                      ("Cannot publish Geyser channel '%s'", settings.channel.c_str()),
                      ("%s", geyser_last_error()));
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                      ("Cannot publish Geyser channel '%s': %s", settings.channel.c_str(),
                       geyser_status_name(status)),
                      ("%s", geyser_last_error()));
  }
  return FALSE;
}

// A new generation of the publication's size and format; an error on the bus if not.
gboolean resize(GstGeyserSink* self) {
  Publication& pub = *self->publication;
  if (geyser_sender_resize(pub.sender, GST_VIDEO_INFO_WIDTH(&pub.info),
                           GST_VIDEO_INFO_HEIGHT(&pub.info), pub.format) != GEYSER_OK) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot resize the Geyser channel"),
                      ("%s", geyser_last_error()));
    return FALSE;
  }
  pub.resize = false;
  return TRUE;
}

gboolean set_caps(GstBaseSink* base, GstCaps* caps) {
  auto* self = GST_GEYSER_SINK(base);
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps)) {
    gchar* text = gst_caps_to_string(caps);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Caps that describe no video"), ("%s", text));
    g_free(text);
    return FALSE;
  }
  const auto format = geyser::gst::texture_format(GST_VIDEO_INFO_FORMAT(&info));
  if (!format) {
    GST_ELEMENT_ERROR(
        self, STREAM, FORMAT,
        ("Geyser cannot carry video format %s",
         gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info))),
        ("geysersink takes %s; put videoconvert before it", geyser::gst::carried_formats()));
    return FALSE;
  }
  std::lock_guard<std::mutex> guard(*self->sender_lock);
  Publication& pub = *self->publication;
  const bool changed = pub.info.finfo == nullptr || !gst_video_info_is_equal(&pub.info, &info);
  pub.info = info;
  pub.format = *format;
  pub.gl = geyser::gst::is_gl_memory(caps);
  if (pub.gl) {  // published or resized on the buffers' GL thread, with the next buffer
    pub.resize = pub.resize || (pub.sender != nullptr && changed);
    return TRUE;
  }
  if (pub.gl_context != nullptr) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Caps changed from GL memory to system memory"),
                      ("geysersink publishes from one kind of memory per run"));
    return FALSE;
  }
  if (pub.sender == nullptr) return publish(self, GEYSER_API_VULKAN);
  if (changed && !resize(self)) return FALSE;
  return TRUE;
}

// What a write's status means for the stream: a Timeout drops the frame.
GstFlowReturn write_outcome(GstGeyserSink* self, geyser_status status, int timeout_ms) {
  Publication& pub = *self->publication;
  if (status == GEYSER_OK) return GST_FLOW_OK;
  if (status == GEYSER_ERROR_TIMEOUT) {  // receivers hold every slot: this frame is dropped
    ++pub.dropped;
    GST_DEBUG_OBJECT(self, "no free slot within %d ms: frame dropped (%" G_GUINT64_FORMAT ")",
                     timeout_ms, pub.dropped);
    return GST_FLOW_OK;
  }
  GST_ELEMENT_ERROR(
      self, RESOURCE, WRITE,
      ("Cannot write a frame into the Geyser channel: %s", geyser_status_name(status)),
      ("%s", geyser_last_error()));
  return GST_FLOW_ERROR;
}

GstFlowReturn render_system(GstGeyserSink* self, GstBuffer* buffer, int timeout_ms) {
  Publication& pub = *self->publication;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &pub.info, buffer, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const geyser_status status = geyser_sender_write(
      pub.sender, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
      static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)), timeout_ms, nullptr);
  gst_video_frame_unmap(&frame);
  return write_outcome(self, status, timeout_ms);
}

// On the GL thread: publishes or resizes as the caps say, then copies `texture` into a slot
// and presents it.
GstFlowReturn write_texture(GstGeyserSink* self, guint texture, int timeout_ms) {
  Publication& pub = *self->publication;
  if (pub.sender == nullptr && !publish(self, GEYSER_API_OPENGL)) return GST_FLOW_ERROR;
  if (pub.resize && !resize(self)) return GST_FLOW_ERROR;
  geyser_slot slot{};
  slot.struct_size = sizeof slot;
  const geyser_status status = geyser_sender_acquire(pub.sender, timeout_ms, &slot);
  if (status != GEYSER_OK) return write_outcome(self, status, timeout_ms);
  std::string error;
  if (!geyser::gst::copy_texture(pub.gl_context, texture, slot.gl_texture,
                                 GST_VIDEO_INFO_WIDTH(&pub.info), GST_VIDEO_INFO_HEIGHT(&pub.info),
                                 error)) {
    geyser_sender_cancel(pub.sender, &slot);
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot copy a GL texture into the channel"),
                      ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  return write_outcome(self, geyser_sender_present(pub.sender, &slot, nullptr, 0), timeout_ms);
}

// The buffer's GL context becomes the publication's; a second one is an error.
gboolean adopt_context(GstGeyserSink* self, GstMemory* memory) {
  Publication& pub = *self->publication;
  if (!gst_is_gl_memory(memory)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("A buffer not in GL memory under GLMemory caps"),
                      (nullptr));
    return FALSE;
  }
  GstGLContext* context = GST_GL_BASE_MEMORY_CAST(memory)->context;
  if (pub.gl_context == nullptr) {
    pub.gl_context = static_cast<GstGLContext*>(gst_object_ref(context));
  } else if (pub.gl_context != context) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Buffers from a second GL context"),
                      ("geysersink publishes from the GL context of its first buffer"));
    return FALSE;
  }
  return TRUE;
}

GstFlowReturn render_gl(GstGeyserSink* self, GstBuffer* buffer, int timeout_ms) {
  Publication& pub = *self->publication;
  if (!adopt_context(self, gst_buffer_peek_memory(buffer, 0))) return GST_FLOW_ERROR;
  if (GstGLSyncMeta* sync = gst_buffer_get_gl_sync_meta(buffer)) {
    gst_gl_sync_meta_wait(sync, pub.gl_context);  // upstream's drawing comes first
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &pub.info, buffer, geyser::gst::gl_map_flags(GST_MAP_READ))) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot map a GL buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const guint texture = *static_cast<guint*>(frame.data[0]);
  GstFlowReturn flow = GST_FLOW_ERROR;
  geyser::gst::on_gl_thread(pub.gl_context,
                            [&] { flow = write_texture(self, texture, timeout_ms); });
  gst_video_frame_unmap(&frame);
  return flow;
}

GstFlowReturn render(GstBaseSink* base, GstBuffer* buffer) {
  auto* self = GST_GEYSER_SINK(base);
  const int timeout_ms = settings_of(self).write_timeout_ms;
  std::lock_guard<std::mutex> guard(*self->sender_lock);
  Publication& pub = *self->publication;
  if (pub.gl) return render_gl(self, buffer, timeout_ms);
  if (pub.sender == nullptr) return GST_FLOW_NOT_NEGOTIATED;
  return render_system(self, buffer, timeout_ms);
}

gboolean propose_allocation(GstBaseSink*, GstQuery* query) {
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);  // any row pitch
  gst_query_add_allocation_meta(query, GST_GL_SYNC_META_API_TYPE, nullptr);
  return TRUE;
}

gboolean start(GstBaseSink* base) {
  auto* self = GST_GEYSER_SINK(base);
  self->stopping->store(false);
  self->poller = new std::thread(poll_loop, self);
  return TRUE;
}

// Unpublishes (receivers see Disconnected), on the GL thread for an OpenGL sender.
void unpublish(GstGeyserSink* self) {
  Publication& pub = *self->publication;
  if (pub.gl_context != nullptr) {
    geyser::gst::on_gl_thread(pub.gl_context, [&] { geyser_sender_destroy(pub.sender); });
    gst_object_unref(pub.gl_context);
  } else {
    geyser_sender_destroy(pub.sender);
  }
  geyser_device_destroy(pub.device);  // after its sender
  pub = Publication{};
}

gboolean stop(GstBaseSink* base) {
  auto* self = GST_GEYSER_SINK(base);
  self->stopping->store(true);
  const std::uint64_t one = 1;
  (void)!::write(self->wake_fd, &one, sizeof one);
  if (self->poller != nullptr) {
    self->poller->join();
    delete self->poller;
    self->poller = nullptr;
  }
  std::uint64_t drained = 0;
  (void)!::read(self->wake_fd, &drained, sizeof drained);
  std::lock_guard<std::mutex> guard(*self->sender_lock);
  unpublish(self);
  return TRUE;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  auto* self = GST_GEYSER_SINK(object);
  std::lock_guard<std::mutex> guard(*self->lock);
  Settings& s = *self->settings;
  switch (id) {
    case PROP_CHANNEL:
      s.channel = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_RUNTIME_DIR:
      s.runtime_dir = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_SLOTS: s.slots = g_value_get_uint(value); break;
    case PROP_WRITE_TIMEOUT: s.write_timeout_ms = g_value_get_int(value); break;
    case PROP_DEVICE: s.device = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  auto* self = GST_GEYSER_SINK(object);
  std::lock_guard<std::mutex> guard(*self->lock);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_CHANNEL: g_value_set_string(value, s.channel.c_str()); break;
    case PROP_RUNTIME_DIR: g_value_set_string(value, s.runtime_dir.c_str()); break;
    case PROP_SLOTS: g_value_set_uint(value, s.slots); break;
    case PROP_WRITE_TIMEOUT: g_value_set_int(value, s.write_timeout_ms); break;
    case PROP_DEVICE: g_value_set_string(value, s.device.c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  auto* self = GST_GEYSER_SINK(object);
  unpublish(self);
  delete self->publication;
  delete self->sender_lock;
  delete self->settings;
  delete self->lock;
  delete self->stopping;
  ::close(self->wake_fd);
  G_OBJECT_CLASS(gst_geyser_sink_parent_class)->finalize(object);
}

void install_properties(GObjectClass* object_class) {
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      object_class, PROP_CHANNEL,
      g_param_spec_string("channel", "Channel",
                          "The name to publish (letters, digits, '.', '_', '-'; at most 64)",
                          nullptr, flags));
  g_object_class_install_property(
      object_class, PROP_RUNTIME_DIR,
      g_param_spec_string("runtime-dir", "Runtime directory",
                          "Where to publish (empty: $GEYSER_RUNTIME_DIR, then "
                          "$XDG_RUNTIME_DIR/geyser)",
                          nullptr, flags));
  g_object_class_install_property(
      object_class, PROP_SLOTS,
      g_param_spec_uint("slots", "Slots",
                        "Textures in the ring at first (it grows as receivers connect)", 2, 16, 3,
                        flags));
  g_object_class_install_property(
      object_class, PROP_WRITE_TIMEOUT,
      g_param_spec_int("write-timeout", "Write timeout",
                       "Milliseconds to wait for a free slot when receivers hold them all; the "
                       "buffer is dropped after that",
                       0, G_MAXINT, kDefaultWriteTimeoutMs,
                       static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      object_class, PROP_DEVICE,
      g_param_spec_string("device", "Device",
                          "The GPU that system-memory video is published from: an index, a UUID "
                          "or a part of its name, as `geyser info` lists them (empty: the "
                          "default device). GL memory is published on its GL context's device",
                          nullptr, flags));
}

}  // namespace

static void gst_geyser_sink_class_init(GstGeyserSinkClass* klass) {
  GST_DEBUG_CATEGORY_INIT(geyser_sink_debug, "geysersink", 0, "Geyser channel sink");
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  object_class->finalize = finalize;
  install_properties(object_class);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element_class, "Geyser channel sink", "Sink/Video",
                                        "Publishes video as a Geyser channel of shared textures",
                                        "Geyser developers");
  GstCaps* caps = geyser::gst::gl_caps();  // GL first: GL upstream stays on the GPU
  gst_caps_append(caps, geyser::gst::carried_caps());
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  auto* base_class = GST_BASE_SINK_CLASS(klass);
  base_class->set_caps = set_caps;
  base_class->render = render;
  base_class->propose_allocation = propose_allocation;
  base_class->start = start;
  base_class->stop = stop;
}

static void gst_geyser_sink_init(GstGeyserSink* self) {
  self->lock = new std::mutex;
  self->settings = new Settings;
  self->sender_lock = new std::mutex;
  self->publication = new Publication;
  self->poller = nullptr;
  self->stopping = new std::atomic<bool>(false);
  self->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
