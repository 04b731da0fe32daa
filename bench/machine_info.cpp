#include "machine_info.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace geyser::bench {
namespace {

// "Key:   123 kB" lines of a /proc file, in bytes.
std::int64_t kb_field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::int64_t kb = 0;
    fields >> kb;
    return kb * 1024;
  }
  return 0;
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

MachineInfo machine_info() {
  MachineInfo m;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
    break;
  }
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  m.cores = cores > 0 ? static_cast<unsigned>(cores) : 0;
  utsname u{};
  if (uname(&u) == 0) m.kernel = u.release;
  return m;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

MemorySnapshot memory_snapshot() {
  MemorySnapshot s;
  const std::string status = slurp("/proc/self/status");
  s.rss = kb_field(status, "VmRSS");
  s.rss_anon = kb_field(status, "RssAnon");
  s.rss_file = kb_field(status, "RssFile");
  s.rss_shmem = kb_field(status, "RssShmem");
  const std::string rollup = slurp("/proc/self/smaps_rollup");
  s.pss = kb_field(rollup, "Pss");
  s.pss_shmem = kb_field(rollup, "Pss_Shmem");
  return s;
}

double thread_runqueue_wait_seconds() {
  std::ifstream in("/proc/thread-self/schedstat");
  std::uint64_t running_ns = 0;
  std::uint64_t waiting_ns = 0;
  if (!(in >> running_ns >> waiting_ns)) return 0.0;
  return static_cast<double>(waiting_ns) / 1e9;
}

std::uint32_t process_thread_count() {
  std::error_code error;
  std::uint32_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

std::vector<CpuTimes> cpu_times() {
  std::ifstream in("/proc/stat");
  const double ms_per_tick = 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<CpuTimes> out;
  std::string line;
  while (std::getline(in, line)) {
    // "cpuN user nice system idle iowait irq softirq steal ..."; "cpu " is the sum.
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
    std::istringstream fields(line.substr(3));
    std::size_t cpu = 0;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                  steal = 0;
    if (!(fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) {
      continue;
    }
    if (cpu >= out.size()) out.resize(cpu + 1);
    out[cpu] = {static_cast<double>(irq) * ms_per_tick, static_cast<double>(softirq) * ms_per_tick,
                static_cast<double>(steal) * ms_per_tick};
  }
  return out;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace geyser::bench
