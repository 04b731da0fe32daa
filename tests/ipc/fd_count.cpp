#include "fd_count.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

namespace geyser::ipc::test {

std::size_t open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) std::abort();
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the DIR's own descriptor
}

UniqueFd open_dev_null() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

UniqueFd memfd_with(const std::string& text) {
  UniqueFd fd(::memfd_create("geyser-ipc-test", MFD_CLOEXEC));
  if (fd && !text.empty() &&
      ::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    fd.reset();
  }
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[256];
  off_t offset = 0;
  for (;;) {
    const ssize_t got = ::pread(fd, buffer, sizeof buffer, offset);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  return out;
}

}  // namespace geyser::ipc::test
