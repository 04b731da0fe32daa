#include "host_views.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace geyser::gst {
namespace {

std::size_t page_rounded(std::size_t size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

std::string errno_text(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

}  // namespace

std::shared_ptr<HostView> HostView::map(const void* frame_data, std::size_t size,
                                        std::string& error) {
  const std::size_t length = page_rounded(size);
  // An old size of 0 on a shared mapping makes a new mapping of the same pages.
  void* addr = ::mremap(const_cast<void*>(frame_data), 0, length, MREMAP_MAYMOVE);
  if (addr == MAP_FAILED) {
    error = errno_text("mremap (a view of a host frame)");
    return nullptr;
  }
  return std::shared_ptr<HostView>(new HostView(addr, length));
}

HostView::~HostView() {
  ::munmap(addr_, size_);
}

bool HostView::detach(std::string& error) {
  if (detached_) return true;
  void* copy = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (copy == MAP_FAILED) {
    error = errno_text("mmap (a copy of a held host frame)");
    return false;
  }
  std::memcpy(copy, addr_, size_);
  // The copy's pages move under the view's addresses in one step: a reader faulting
  // meanwhile waits for the move and then reads the copy.
  if (::mprotect(copy, size_, PROT_READ) != 0 ||
      ::mremap(copy, size_, size_, MREMAP_MAYMOVE | MREMAP_FIXED, addr_) == MAP_FAILED) {
    error = errno_text("mremap (a copy of a held host frame)");
    ::munmap(copy, size_);
    return false;
  }
  detached_ = true;
  return true;
}

std::shared_ptr<HostView> HostViews::view_of(const geyser_frame& frame, std::string& error) {
  const Key key{frame.connection, frame.generation, frame.host_data};
  // Views of another connection or generation show slots that are gone: buffers keep
  // theirs, the cache lets go.
  std::erase_if(views_, [&](const auto& entry) {
    return std::get<0>(entry.first) != frame.connection ||
           std::get<1>(entry.first) != frame.generation;
  });
  auto it = views_.find(key);
  if (it == views_.end()) {
    auto view = HostView::map(frame.host_data, std::size_t{frame.row_pitch} * frame.height, error);
    if (view == nullptr) return nullptr;
    it = views_.emplace(key, std::move(view)).first;
  }
  held_ = key;
  holding_ = true;
  return it->second;
}

bool HostViews::protect_held(std::string& error) {
  if (!holding_) return true;
  auto it = views_.find(held_);
  if (it == views_.end()) return true;
  if (it->second->memories.load() == 0) return true;
  if (!it->second->detach(error)) return false;
  ++detaches_;
  views_.erase(it);  // the buffers own it now; the slot gets a fresh view next time
  holding_ = false;
  return true;
}

void HostViews::clear() noexcept {
  views_.clear();
  holding_ = false;
}

}  // namespace geyser::gst
