// The processes of one size of the cross-device scenario (cross_device.hpp): one Vulkan
// sender with a channel per mode, and one Vulkan receiver per mode, each joined to the
// sender by a socket pair of its own. What they measure goes into a CrossShared block.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "cross_device.hpp"
#include "geyser/device_selector.hpp"
#include "geyser/error.hpp"
#include "geyser/vulkan/device.hpp"
#include "handoff_support.hpp"
#include "scenarios.hpp"

namespace geyser::bench {

inline constexpr std::size_t kCrossModeCount = std::size(kCrossModes);

/// What the workers of one size hand back to the parent (plain data in a SharedBlock). Index
/// m is mode kCrossModes[m]: its channel and its receiver.
struct CrossShared {
  char sender_error[1024];
  char receiver_error[kCrossModeCount][1024];
  // Each receiver's count of the blocking acquires it is about to enter (the sender lets
  // it fall asleep before each present, as in the handoff scenario).
  std::atomic<std::uint32_t> blocking[kCrossModeCount];
  Samples latency[kCrossModeCount];  // stamp -> acquire returned, timed frames
  std::uint64_t verified[kCrossModeCount];
  std::uint64_t bad[kCrossModeCount];
  std::uint64_t skipped[kCrossModeCount];
  char transfer[kCrossModeCount][16];
  char sync_mode[kCrossModeCount][16];
};

/// One size's run.
struct CrossRun {
  Resolution resolution;
  std::uint32_t warmup = 0;
  std::uint32_t samples = 0;
  DeviceSelector receiver_device;  ///< the host-frames receiver's device
  bool same_device = true;         ///< it is the sender's: ask for host frames explicitly
  [[nodiscard]] std::uint32_t frames() const noexcept { return warmup + samples; }
};

/// A worker's headless device on the device `selector` names, validation as
/// GEYSER_VALIDATION says (the ctest turns it on; figures are taken with it off).
[[nodiscard]] Result<vulkan::Device> open_cross_device(const DeviceSelector& selector);

/// Fails when a device of this process saw validation-layer messages.
[[nodiscard]] Result<void> check_no_validation_messages(const char* role);

/// Forks the sender and the receivers of `run`, waits for them (at most env.timeout) and
/// returns the first error, with what every worker wrote to `shared`.
[[nodiscard]] Result<void> run_cross_workers(const Environment& env, const CrossRun& run,
                                             CrossShared& shared);

}  // namespace geyser::bench
