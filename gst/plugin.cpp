// The geyser GStreamer plugin: geysersrc and geysersink (docs/gstreamer.md).
#include <gst/gst.h>

#include "sink.hpp"
#include "src.hpp"

// The repository declares no licence yet, so the plugin says unknown (a name GStreamer
// accepts); change both together.
#define PACKAGE "geyser"

namespace {

gboolean plugin_init(GstPlugin* plugin) {
  return gst_element_register(plugin, "geysersrc", GST_RANK_NONE, GST_TYPE_GEYSER_SRC) &&
         gst_element_register(plugin, "geysersink", GST_RANK_NONE, GST_TYPE_GEYSER_SINK);
}

}  // namespace

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, geyser,
                  "Geyser channels: zero-copy texture sharing between processes", plugin_init,
                  GEYSER_VERSION, GST_LICENSE_UNKNOWN, "geyser", "geyser")
