// Zero-copy views of host frames for GstMemory (docs/gstreamer.md, "No copy, and when one
// is made"). A view is a second mapping of a frame's shared pages (mremap with an old size
// of 0), so a buffer may outlive the receiver's own mapping. A receiver holds one frame at a
// time; before it releases the frame a buffer still shows, detach() puts a private copy of
// the pages under the same addresses, so that whoever keeps the buffer never sees the
// sender rewrite the slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "geyser/geyser.h"

namespace geyser::gst {

class HostView {
 public:
  /// A view of `size` bytes of the shared mapping at `frame_data` (page-aligned, as a
  /// host frame's `host_data` is); null with `error` set when the kernel refuses.
  static std::shared_ptr<HostView> map(const void* frame_data, std::size_t size,
                                       std::string& error);
  HostView(const HostView&) = delete;
  HostView& operator=(const HostView&) = delete;
  ~HostView();

  [[nodiscard]] std::uint8_t* data() const noexcept { return static_cast<std::uint8_t*>(addr_); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Replaces the shared pages under the view by a private read-only copy of them, at the
  /// same addresses. False with `error` set when the kernel refuses (the view is unchanged).
  [[nodiscard]] bool detach(std::string& error);
  [[nodiscard]] bool detached() const noexcept { return detached_; }

  /// GstMemory objects over the view, counted by the memories themselves.
  std::atomic<int> memories{0};

 private:
  HostView(void* addr, std::size_t size) : addr_(addr), size_(size) {}
  void* addr_;
  std::size_t size_;
  bool detached_ = false;
};

/// One source's views: one per host slot of the current stream, reused frame after frame,
/// and which of them shows the frame the receiver holds. Used from the streaming thread.
class HostViews {
 public:
  /// The view of `frame` (a host frame), made on first use; it becomes the held one. Views
  /// of other connections and generations are forgotten.
  std::shared_ptr<HostView> view_of(const geyser_frame& frame, std::string& error);
  /// Call before the receiver releases the frame it holds (acquire, destroy): when a buffer
  /// still shows it, its view is detached and forgotten. False with `error` set when it
  /// could not be, and the frame must not be released.
  [[nodiscard]] bool protect_held(std::string& error);
  /// Forgets every view (a new connection): buffers keep theirs.
  void clear() noexcept;
  /// Copies made by detach so far.
  [[nodiscard]] std::uint64_t detached_count() const noexcept { return detaches_; }

 private:
  using Key = std::tuple<std::uint64_t, std::uint64_t, const void*>;
  std::map<Key, std::shared_ptr<HostView>> views_;
  Key held_{};
  bool holding_ = false;
  std::uint64_t detaches_ = 0;
};

}  // namespace geyser::gst
