// Scenario g, host_path: host frames (docs/host-frames.md). One Vulkan sender presents the
// same frames on four channels, interleaved sample by sample: one with only a zero-copy
// Vulkan receiver (N = 0, the baseline), one with a Vulkan receiver and 1 host::Receiver,
// one with a Vulkan receiver and 4 host::Receivers, each receiver a process of its own, and
// again N = 1 from a device made without a transfer queue (the copy on the main queue). It
// times the sender's present() (which, with host receivers, includes the one device copy
// into the host ring), the sender's CPU per frame, and each receiver's latency
// (docs/BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "json_writer.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace geyser::bench {

struct HostPathPlan {
  std::vector<Resolution> resolutions;  ///< RGBA8 frames of these sizes, one run each
  /// Untimed frames first, per channel; at least kHostPathMinWarmup are made.
  std::uint32_t warmup = 24;
  std::uint32_t samples = 200;     ///< timed frames per channel (at most 4096)
  std::uint32_t samples_4k = 100;  ///< for resolutions of 8 Mpixels and more
};

/// One channel of the scenario: its number of host receivers, and whether its sender's
/// device may copy on a dedicated transfer queue (HeadlessOptions::transfer_queue).
struct HostPathChannel {
  std::uint32_t host_receivers;
  bool transfer_queue;
};
/// N = 0, 1 and 4 on the sender's usual device, and N = 1 again on a second device of the
/// same GPU made without a transfer queue: the copy engine beside the main queue, side by
/// side (both rows copy on the main queue where the GPU has no copy engine).
inline constexpr HostPathChannel kHostPathChannels[] = {
    {0, true}, {1, true}, {4, true}, {1, false}};

/// The least warm-up: every slot of the largest ring written twice. The ring grows to 2 x
/// receivers + 1 slots (11 with 4 host receivers and the Vulkan one), host slots with it,
/// and the first copy into a host slot pays for faulting in its pages (at 4K, 8100 pages):
/// timed frames must find every slot touched.
inline constexpr std::uint32_t kHostPathMinWarmup = 2 * (2 * (4 + 1) + 1);

/// One channel of one size: N host receivers beside one zero-copy Vulkan receiver.
struct HostPathRow {
  std::uint32_t host_receivers = 0;  ///< N
  /// Where the sender's host copies ran: "transfer" (a dedicated transfer queue) or "main".
  std::string copy_queue;
  /// Wall time of Sender::present(): the zero-copy announcement, plus, when N > 0, the
  /// device copy into the host ring (fence wait included) and the host links' signals.
  Summary present_us;
  /// The sender process's CPU (user+sys, all threads, the driver's included) during
  /// present(), per timed frame.
  double sender_cpu_us_per_frame = 0.0;
  /// Sender's stamp (HostFrame::timestamp_ns: present() takes it when it announces the
  /// frame, before the host copy) -> host::Receiver::acquire returned, pooled over the N
  /// host receivers; empty when N = 0.
  Summary host_latency_us;
  /// present() called -> host::Receiver::acquire returned, pooled: the same plus what
  /// present() does before its stamp.
  Summary host_end_to_end_us;
  /// The host receivers' process CPU per timed frame (acquire, release, the notice to the
  /// sender; the pattern checks excluded), mean over them.
  double host_cpu_us_per_frame = 0.0;
  /// The zero-copy Vulkan receiver on the same channel: stamp -> acquire returned.
  Summary vulkan_latency_us;
  /// Timed frames some receiver of this channel did not get (gaps in the frame numbers).
  std::uint64_t frames_skipped = 0;
  /// Frames the host receivers checked against the test pattern (all matched, or the
  /// scenario failed).
  std::uint64_t frames_verified = 0;
};

/// One size: its four rows and what is derived from them.
struct HostPathSize {
  Resolution resolution;
  std::uint64_t frame_bytes = 0;  ///< width x height x 4
  std::uint32_t samples = 0;
  std::vector<HostPathRow> rows;  ///< as kHostPathChannels

  /// The first row with N = `host_receivers`, of the usual device (`main_queue_device`
  /// false) or of the one made without a transfer queue.
  [[nodiscard]] const HostPathRow* row(std::uint32_t host_receivers,
                                       bool main_queue_device = false) const noexcept;
  /// Derived: present p50 with N = 1 minus with N = 0; 0 unless positive.
  [[nodiscard]] double host_copy_us() const noexcept;
  /// Derived: frame bytes / host_copy_us(), in 10^9 bytes per second; 0 unless measured.
  [[nodiscard]] double host_copy_gbps() const noexcept;
  /// present p50 with N = 4 over with N = 1 (the claim: about 1).
  [[nodiscard]] double present_ratio_4_vs_1() const noexcept;
  /// The sender's CPU per frame with N = 4 over with N = 1.
  [[nodiscard]] double sender_cpu_ratio_4_vs_1() const noexcept;
  /// (present p50 N=4 - N=0) / (N=1 - N=0): the host part alone; 0 unless measured.
  [[nodiscard]] double host_copy_ratio_4_vs_1() const noexcept;
  /// present p50 with N = 1 on the usual device over on the device without a transfer
  /// queue: below 1 when the copy engine is faster; about 1 when both copy on the main queue.
  [[nodiscard]] double present_ratio_transfer_vs_main() const noexcept;
};

/// What became of the scenario: measured, skipped (the sender's device cannot import host
/// memory: `reason`) or failed (`reason` holds the error).
struct HostPathOutcome {
  enum class Status { Ok, Skipped, Failed } status = Status::Skipped;
  std::string reason;
  std::string device;     ///< the sender's and the Vulkan receivers' device, and driver
  std::string sync_mode;  ///< the Vulkan receivers' sync mode
  std::uint32_t warmup = 0;
  std::vector<HostPathSize> sizes;
};

[[nodiscard]] const char* to_string(HostPathOutcome::Status status) noexcept;

/// Runs the scenario; every problem is in the outcome. Forks its workers (the caller must
/// not have initialised Vulkan).
[[nodiscard]] HostPathOutcome run_host_path(const Environment& env, const HostPathPlan& plan);

/// Writes "host_path": {...}; `copies` (the handoff scenario's copy path, may be null or
/// empty) gives the ratio of the host latency to it at the same size.
void write_host_path_json(JsonWriter& json, const HostPathOutcome& outcome,
                          const std::vector<CopyRow>* copies);

/// The scenario's lines of the text report.
void print_host_path(std::ostream& out, const HostPathOutcome& outcome,
                     const std::vector<CopyRow>* copies);

}  // namespace geyser::bench
