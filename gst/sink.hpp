// geysersink: publishes the video it receives as a Geyser channel (docs/gstreamer.md).
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS
#define GST_TYPE_GEYSER_SINK (gst_geyser_sink_get_type())
G_DECLARE_FINAL_TYPE(GstGeyserSink, gst_geyser_sink, GST, GEYSER_SINK, GstBaseSink)
G_END_DECLS
