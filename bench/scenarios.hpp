// The scenarios of the benchmark matrix. Each forks its own worker processes (the caller
// must not have initialised Vulkan), each worker creates its own headless Device, and each
// returns what it measured or the first error of any worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "geyser/device_selector.hpp"
#include "geyser/error.hpp"
#include "machine_info.hpp"
#include "stats.hpp"

namespace geyser::bench {

struct Resolution {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  [[nodiscard]] std::string label() const {
    return std::to_string(width) + "x" + std::to_string(height);
  }
};

/// Where and how every scenario runs.
struct Environment {
  std::filesystem::path runtime_dir;  ///< a private directory for the channels' sockets
  std::string channel_prefix;         ///< unique per run
  DeviceSelector device;              ///< vulkan::create_selected's selector
  std::chrono::seconds timeout{120};  ///< per scenario, for its workers
};

/// The device the workers ran on, as they saw it.
struct DeviceReport {
  std::string name;
  std::string driver;
  std::string sync_mode;
};

// --- a + b: handoff latency, the socket baseline and the copy path, in one pair of processes.

struct HandoffPlan {
  std::vector<Resolution> resolutions;
  std::vector<Resolution> copy_resolutions;  ///< a subset of `resolutions`
  std::uint32_t warmup = 20;
  std::uint32_t samples = 300;
  std::uint32_t copy_warmup = 2;
  std::uint32_t copy_samples = 15;
  std::uint32_t copy_samples_4k = 8;  ///< for resolutions of 8 Mpixels and more
};

struct HandoffRow {
  Resolution resolution;
  Summary handoff_us;           ///< present (sender's stamp) -> Receiver::acquire returned
  Summary socket_one_way_us;    ///< the same stamp-to-arrival, for a bare socket message
  Summary socket_roundtrip_us;  ///< ping-pong of that message
  Summary futex_wake_us;        ///< stamp -> return of a bare cross-process futex wait
  std::uint64_t frames_skipped = 0;
  /// CPU (user+sys, whole process) per timed handoff, each side: acquire, present and the
  /// wait for the release on the sender; acquire, release and its notice on the receiver
  /// (the interleaved socket pings are not counted).
  double sender_cpu_us_per_frame = 0.0;
  double receiver_cpu_us_per_frame = 0.0;
  /// The same handoff, interleaved with it, with the present's signals in the producer's
  /// own semaphore-only submission (Sender::present_signals): its latency, and the sender's
  /// CPU as above less the thread's time inside that submission (the application's work).
  /// Its receiver reads in its own semaphore-only submission too, which carries the
  /// frame's wait and release signal (begin_access, end_access): release() submits
  /// nothing, and the receiver's CPU is counted as above less that submission.
  Summary handoff_own_submission_us;
  double sender_cpu_us_per_frame_own_submission = 0.0;
  double receiver_cpu_us_per_frame_own_submission = 0.0;
  /// The bare futex baseline's receiver CPU per wake, counted as receiver_cpu_us_per_frame
  /// is (its wait and the same notice): the floor of any receiver woken by the kernel.
  double futex_receiver_cpu_us_per_frame = 0.0;
};

struct CopyRow {
  Resolution resolution;
  std::uint64_t frame_bytes = 0;
  Summary copy_us;  ///< readback start -> upload end in the other process
};

struct HandoffResult {
  DeviceReport device;
  std::size_t message_bytes = 0;
  std::vector<HandoffRow> rows;
  std::vector<CopyRow> copies;
};

[[nodiscard]] Result<HandoffResult> run_handoff(const Environment& env, const HandoffPlan& plan);

// --- c: throughput through one channel.

inline constexpr std::uint32_t kMaxReceivers = 16;

struct ThroughputPlan {
  Resolution resolution;
  std::uint32_t receivers = 1;
  double seconds = 1.0;
  /// The producer submits one semaphore-only batch per frame, standing in for its
  /// rendering, that carries the present's signals (Sender::present_signals): present()
  /// then submits nothing for `gpu` receivers.
  bool application_submission = false;
  /// Receivers that sleep at once (ReceiverOptions::spin = 0) instead of watching the board
  /// for 20 us first: the row to set beside the default one.
  bool receivers_sleep = false;
};

struct ThroughputRow {
  Resolution resolution;
  std::uint32_t receivers = 0;
  double seconds = 0.0;
  std::uint64_t frames = 0;        ///< presented by the sender while measuring
  double sender_fps = 0.0;         ///< presents per second
  double receiver_fps_mean = 0.0;  ///< frames acquired per second, mean over receivers
  double receiver_fps_min = 0.0;
  double sender_cpu_us_per_frame = 0.0;               ///< per presented frame
  double sender_cpu_us_per_frame_per_receiver = 0.0;  ///< the same over `receivers`
  double sender_cpu_us_per_delivered_frame = 0.0;     ///< over frames receivers acquired
  bool application_submission = false;                ///< ThroughputPlan's
  bool receivers_sleep = false;                       ///< ThroughputPlan's
  /// The share of presents while measuring that woke nobody (SenderStats::wakes_skipped):
  /// every receiver was looking at the board or spinning.
  double wakes_skipped_share = 0.0;
  /// The sending thread's CPU per present outside the application's own submissions:
  /// Geyser's acquire, present_signals, present and poll (the process figure above has the
  /// driver's threads and, with application_submission, the application's submission too).
  double sender_geyser_cpu_us_per_frame = 0.0;
  /// Whether the sender still fanned its wakes out through the receivers when the run
  /// ended (SenderStats::fan_out: two receivers or more, and no late wake reported).
  bool fan_out = false;
  /// Where a receiver's time goes, mean over receivers, per acquired frame: wall time in
  /// acquire() and in release(), and its process CPU time over the run.
  double receiver_acquire_us_per_frame = 0.0;
  double receiver_release_us_per_frame = 0.0;
  double receiver_cpu_us_per_frame = 0.0;
  /// Claims a receiver lost (ReceiverStats::claims_lost) per frame it acquired, mean.
  double receiver_claims_lost_per_frame = 0.0;
  /// Socket reads of a receiver's acquire (ReceiverStats::socket_reads) per frame, mean.
  double receiver_socket_reads_per_frame = 0.0;
  /// Each receiver's own figures, to tell one slow receiver from all being slow.
  struct PerReceiver {
    double fps = 0.0;
    double acquire_us_per_frame = 0.0;
    double cpu_us_per_frame = 0.0;
    std::uint64_t claims_lost = 0;
    std::uint64_t imports = 0;
    std::uint64_t reconnects = 0;
    /// Milliseconds the receiver's thread was runnable but not running while measuring,
    /// and the CPU it ran on last: a receiver far behind the others with a large wait was
    /// kept off the CPU by the machine (BENCHMARKS.md, "one receiver behind").
    double runqueue_wait_ms = 0.0;
    int cpu = -1;
    std::uint64_t socket_reads = 0;
    /// Where a slow receiver's time went: its receiving thread's own CPU while measuring
    /// (cpu_us_per_frame is the whole process's), its longest acquire() (one that timed
    /// out too) and longest release() apart, the acquire() calls that timed out, and the
    /// threads its process had at the end (the driver's among them).
    double thread_cpu_ms = 0.0;
    double longest_acquire_ms = 0.0;
    double longest_release_ms = 0.0;
    std::uint64_t acquire_timeouts = 0;
    std::uint32_t threads = 0;
    /// What the CPU it ran on last spent outside tasks while measuring (interrupts,
    /// softirqs, the hypervisor's steal), in ms: a thread kept on a CPU that serves
    /// interrupts gets the wall time but none of the CPU time.
    CpuTimes cpu_lost;
  };
  std::vector<PerReceiver> per_receiver;
};

[[nodiscard]] Result<ThroughputRow> run_throughput(const Environment& env,
                                                   const ThroughputPlan& plan);

// --- d: memory per channel and per receiver.

struct MemoryRow {
  Resolution resolution;
  std::uint32_t slots = 0;
  std::uint64_t frame_bytes = 0;        ///< tightly packed texels of one frame
  std::uint64_t ring_device_bytes = 0;  ///< sum of the ring's allocation sizes
  MemorySnapshot sender_before;         ///< device created, nothing published
  MemorySnapshot sender_published;      ///< Sender::publish returned
  MemorySnapshot sender_written;        ///< every slot written once
  MemorySnapshot receiver_before;       ///< device created, not connected
  MemorySnapshot receiver_connected;    ///< Receiver::connect returned: every slot imported
  MemorySnapshot receiver_read;         ///< every slot acquired and read back once
};

[[nodiscard]] Result<MemoryRow> run_memory(const Environment& env, Resolution resolution);

}  // namespace geyser::bench
