// geysersink: a GstBaseSink that publishes its input as a Geyser channel. A Vulkan sender
// (geyser_sender, GEYSER_API_VULKAN, on the default device) is published on the first caps
// and resized, as a new generation, on a caps change; each buffer is one
// geyser_sender_write. A thread answers receivers and listers between buffers.
#include "sink.hpp"

#include <gst/video/video.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "formats.hpp"

GST_DEBUG_CATEGORY_STATIC(geyser_sink_debug);
#define GST_CAT_DEFAULT geyser_sink_debug

namespace {

constexpr int kDefaultWriteTimeoutMs = 100;
constexpr int kPollTickMs = 200;

enum Property { PROP_0, PROP_CHANNEL, PROP_RUNTIME_DIR, PROP_SLOTS, PROP_WRITE_TIMEOUT };

struct Settings {
  std::string channel;
  std::string runtime_dir;
  guint slots = 3;
  int write_timeout_ms = kDefaultWriteTimeoutMs;
};

// The published channel; guarded by `sender_lock` (the streaming and the poll thread).
struct Publication {
  geyser_sender* sender = nullptr;
  GstVideoInfo info{};
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
    if (self->stopping->load() || self->publication->sender == nullptr) continue;
    if (geyser_sender_poll(self->publication->sender, 0) != GEYSER_OK) {
      GST_WARNING_OBJECT(self, "geyser_sender_poll: %s", geyser_last_error());
    }
  }
}

gboolean publish(GstGeyserSink* self, const GstVideoInfo& info, geyser_format format) {
  const Settings settings = settings_of(self);
  if (settings.channel.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No channel set"),
                      ("set geysersink's channel property to the name to publish"));
    return FALSE;
  }
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = settings.runtime_dir.empty() ? nullptr : settings.runtime_dir.c_str();
  options.slots = settings.slots;
  const geyser_status status = geyser_sender_publish(
      settings.channel.c_str(), GEYSER_API_VULKAN, GST_VIDEO_INFO_WIDTH(&info),
      GST_VIDEO_INFO_HEIGHT(&info), format, &options, &self->publication->sender);
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
  if (pub.sender == nullptr) {
    if (!publish(self, info, *format)) return FALSE;
  } else if (!gst_video_info_is_equal(&pub.info, &info)) {
    if (geyser_sender_resize(pub.sender, GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info),
                             *format) != GEYSER_OK) {
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot resize the Geyser channel"),
                        ("%s", geyser_last_error()));
      return FALSE;
    }
  }
  pub.info = info;
  return TRUE;
}

GstFlowReturn render(GstBaseSink* base, GstBuffer* buffer) {
  auto* self = GST_GEYSER_SINK(base);
  const int timeout_ms = settings_of(self).write_timeout_ms;
  std::lock_guard<std::mutex> guard(*self->sender_lock);
  Publication& pub = *self->publication;
  if (pub.sender == nullptr) return GST_FLOW_NOT_NEGOTIATED;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &pub.info, buffer, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const geyser_status status = geyser_sender_write(
      pub.sender, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
      static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)), timeout_ms, nullptr);
  gst_video_frame_unmap(&frame);
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

gboolean propose_allocation(GstBaseSink*, GstQuery* query) {
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);  // any row pitch
  return TRUE;
}

gboolean start(GstBaseSink* base) {
  auto* self = GST_GEYSER_SINK(base);
  self->stopping->store(false);
  self->poller = new std::thread(poll_loop, self);
  return TRUE;
}

// Unpublishes: receivers see Disconnected.
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
  geyser_sender_destroy(self->publication->sender);
  *self->publication = Publication{};
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
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  auto* self = GST_GEYSER_SINK(object);
  geyser_sender_destroy(self->publication->sender);
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
  GstCaps* caps = geyser::gst::carried_caps();
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
