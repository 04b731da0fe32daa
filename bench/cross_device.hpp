// Cross-device: a frame from a sender on one device to a receiver on another, beside the
// same-device zero-copy handoff (`geyser bench --cross-device [--recv-device SPEC]`,
// docs/BENCHMARKS.md). Per size one Vulkan sender process publishes one channel per mode:
// `device_handoff`, a zero-copy Vulkan receiver on the sender's device, and `host_frames`,
// a Vulkan receiver on the receiver device that takes host frames (the sender's one copy
// into host memory, then the receiver's upload into a texture of its own device). On one
// device the host frames are forced (TransferRequest::Host); on two they come by
// themselves (TransferRequest::Auto, the UUIDs differ). One frame at a time, every frame
// checked against the test pattern.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "geyser/device_selector.hpp"
#include "json_writer.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace geyser::bench {

/// The modes, in the order of the rows: the zero-copy handoff on the sender's device, and
/// host frames into the receiver device.
enum class CrossMode : std::uint8_t { DeviceHandoff, HostFrames };
inline constexpr CrossMode kCrossModes[] = {CrossMode::DeviceHandoff, CrossMode::HostFrames};
/// "device_handoff", "host_frames".
[[nodiscard]] const char* to_string(CrossMode mode) noexcept;

struct CrossDevicePlan {
  std::vector<Resolution> resolutions;  ///< RGBA8 frames of these sizes, one run each
  /// The host-frames receiver's device; empty: the sender's (Environment::device).
  DeviceSelector receiver_device;
  std::uint32_t warmup = 8;       ///< untimed frames per channel, checked all the same
  std::uint32_t samples = 30;     ///< timed frames per channel (at most kMaxSamples)
  std::uint32_t samples_4k = 12;  ///< for resolutions of 8 Mpixels and more
};

/// A device as the workers opened it.
struct CrossDeviceInfo {
  std::string name;
  std::string driver;
  std::string uuid;  ///< the deviceUUID, as `geyser info` prints it
};

/// One mode at one size.
struct CrossDeviceRow {
  CrossMode mode = CrossMode::DeviceHandoff;
  Resolution resolution;
  std::uint64_t frame_bytes = 0;      ///< width x height x 4
  std::string transfer;               ///< what the receiver got: "device" or "host"
  std::string sync_mode;              ///< the receiver's sync mode
  std::uint32_t frames = 0;           ///< timed frames
  std::uint64_t frames_verified = 0;  ///< every frame received, warm-up included
  std::uint64_t bad_frames = 0;       ///< of those, the ones not matching the test pattern
  std::uint64_t frames_skipped = 0;   ///< gaps in the frame numbers (0: every frame arrived)
  /// The sender's stamp at present() -> the receiver's acquire() returned, with the frame
  /// usable on the receiver's device (host frames: uploaded into its texture).
  Summary latency_us;
  /// frame_bytes / mean latency, in 10^9 bytes per second: one frame at a time, so this is
  /// what one frame's transfer moves per second of its own latency.
  [[nodiscard]] double gbps() const noexcept;
};

/// What became of the scenario: measured, skipped (`reason`: the sender's device cannot
/// give host frames) or failed (`reason`); `unknown_device` when a selector named no device
/// (a usage error: `geyser bench` exits 2).
struct CrossDeviceOutcome {
  enum class Status { Ok, Skipped, Failed } status = Status::Failed;
  std::string reason;
  bool unknown_device = false;
  CrossDeviceInfo sender;
  CrossDeviceInfo receiver;  ///< the host-frames receiver's device
  bool same_device = true;   ///< both UUIDs equal: host frames were forced
  std::uint32_t warmup = 0;
  std::vector<CrossDeviceRow> rows;  ///< per size, one per mode (kCrossModes)
};

[[nodiscard]] const char* to_string(CrossDeviceOutcome::Status status) noexcept;

/// Runs the scenario; every problem is in the outcome. Forks its workers (the caller must
/// not have initialised Vulkan). The workers' devices follow GEYSER_VALIDATION (off unless
/// it is "1"), and a worker whose device saw validation messages fails.
[[nodiscard]] CrossDeviceOutcome run_cross_device(const Environment& env,
                                                  const CrossDevicePlan& plan);

/// Writes "cross_device": {...}.
void write_cross_device_json(JsonWriter& json, const CrossDeviceOutcome& outcome);

/// The scenario's lines of the text report: the two devices and a table of the rows.
void print_cross_device(std::ostream& out, const CrossDeviceOutcome& outcome);

}  // namespace geyser::bench
