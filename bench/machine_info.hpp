// Facts about the machine and the current process for the benchmark report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace geyser::bench {

/// The machine a run happened on.
struct MachineInfo {
  std::string hostname;
  std::string cpu_model;  ///< "model name" of /proc/cpuinfo
  unsigned cores = 0;     ///< online logical CPUs
  std::string kernel;     ///< uname -r
};
[[nodiscard]] MachineInfo machine_info();

/// Now, as ISO 8601 UTC: "2024-05-01T12:00:00Z".
[[nodiscard]] std::string utc_now();

/// This process's memory as the kernel counts it, in bytes: /proc/self/status (VmRSS and
/// its split into anonymous, file-backed and shared-memory pages) and
/// /proc/self/smaps_rollup (proportional set sizes: a page shared by n processes counts
/// 1/n in each). Fields the kernel does not report stay 0.
struct MemorySnapshot {
  std::int64_t rss = 0;
  std::int64_t rss_anon = 0;
  std::int64_t rss_file = 0;
  std::int64_t rss_shmem = 0;
  std::int64_t pss = 0;
  std::int64_t pss_shmem = 0;
};
[[nodiscard]] MemorySnapshot memory_snapshot();

/// User + system CPU time of this process (all threads) so far, in seconds.
[[nodiscard]] double process_cpu_seconds();
/// CPU time of the calling thread so far, in seconds (CLOCK_THREAD_CPUTIME_ID).
[[nodiscard]] double thread_cpu_seconds();
/// Seconds the calling thread has spent runnable but waiting for a CPU so far (the second
/// field of /proc/thread-self/schedstat); 0 where the kernel keeps no such count.
[[nodiscard]] double thread_runqueue_wait_seconds();
/// The threads of this process now (/proc/self/task); 0 where it cannot be read.
[[nodiscard]] std::uint32_t process_thread_count();

/// What one CPU spent, in milliseconds since boot, outside the tasks it ran: serving
/// interrupts (irq), softirqs, and stolen by the hypervisor (steal): /proc/stat's `cpuN`
/// line. All 0 where it cannot be read. A thread that sits on a CPU for a long time with
/// its own clock standing still shows up here (BENCHMARKS.md, "Sleepers").
struct CpuTimes {
  double irq_ms = 0.0;
  double softirq_ms = 0.0;
  double steal_ms = 0.0;
};
/// Every CPU's CpuTimes, indexed by CPU number (an offline CPU keeps zeros).
[[nodiscard]] std::vector<CpuTimes> cpu_times();

}  // namespace geyser::bench
