#include "pipewire/threads_cpu.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace geyser::bench::pipewire {

std::uint64_t threads_cpu_ns(pid_t pid) noexcept {
  std::uint64_t total = 0;
  try {
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream file(task.path() / "schedstat");
      std::uint64_t on_cpu_ns = 0;
      if (file >> on_cpu_ns) total += on_cpu_ns;
    }
  } catch (...) {  // a thread that ended while listed: what was read so far
  }
  return total;
}

}  // namespace geyser::bench::pipewire
