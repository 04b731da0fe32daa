#include "support/process_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace geyser::test {
namespace {

// The descriptor numbers in /proc/self/fd, without the directory's own descriptor.
std::vector<int> open_fds() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != own) fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

}  // namespace

std::size_t open_fd_count() {
  return open_fds().size();
}

std::string describe_open_fds() {
  std::string out;
  for (const int fd : open_fds()) {
    char target[512] = {};
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (!out.empty()) out += ", ";
    out += std::to_string(fd) + " -> " +
           (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?");
  }
  return out;
}

std::uint64_t rss_bytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "re");
  if (file == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int fields = std::fscanf(file, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(file);
  if (fields != 2) return 0;
  return static_cast<std::uint64_t>(resident_pages) *
         static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace geyser::test
