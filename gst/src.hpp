// geysersrc: a live source of a Geyser channel's frames (docs/gstreamer.md).
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS
#define GST_TYPE_GEYSER_SRC (gst_geyser_src_get_type())
G_DECLARE_FINAL_TYPE(GstGeyserSrc, gst_geyser_src, GST, GEYSER_SRC, GstPushSrc)
G_END_DECLS
