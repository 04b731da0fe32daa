// geysersrc's GL memory: the GL display and context it works in (found downstream, given by
// the application or made), a pool of GL textures for the negotiated caps, and the copy of
// a received frame's texture into a buffer of that pool.
#pragma once

#include <gst/gl/gl.h>

#include <string>

#include "geyser/geyser.h"

namespace geyser::gst {

class GlSource {
 public:
  GlSource() = default;
  GlSource(const GlSource&) = delete;
  GlSource& operator=(const GlSource&) = delete;
  ~GlSource() { reset(); }

  /// A GL context for `element`: downstream's, else one on the display (the application's
  /// or a new one, sharing with the application's context). False with `error` if none.
  [[nodiscard]] bool ensure_context(GstElement* element, std::string& error);
  /// The context receivers run on; null before ensure_context.
  [[nodiscard]] GstGLContext* context() const noexcept { return context_; }

  /// GstElement::set_context: a display or context the application or a neighbour gave.
  void set_context(GstElement* element, GstContext* context);
  /// Answers a context query with the display and context; false when it is no such query.
  [[nodiscard]] bool answer(GstElement* element, GstQuery* query);

  /// A new active pool of textures for `caps` (GL memory, fixed). False with `error`.
  [[nodiscard]] bool configure(GstCaps* caps, const GstVideoInfo& info, std::string& error);
  /// A buffer of the pool with `frame`'s texture copied in, a sync point after the copy. On
  /// the context's thread, with `frame` held. Null with `error`.
  [[nodiscard]] GstBuffer* copy_frame(const geyser_frame& frame, std::string& error);

  /// Lets the pool, the context and the display go.
  void reset();

 private:
  GstGLDisplay* display_ = nullptr;
  GstGLContext* other_context_ = nullptr;  // the application's
  GstGLContext* context_ = nullptr;
  GstBufferPool* pool_ = nullptr;
  GstVideoInfo info_{};
};

}  // namespace geyser::gst
