// The PipeWire baseline's producer process: a driving pw_stream, with memfd buffers of its
// own, that queues one stamped frame each time the consumer has handed the previous one back.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"
#include "pipewire/scenario.hpp"

namespace geyser::bench::pipewire {

/// What the producer measured; plain data, it lives in memory shared with the parent.
struct ProducerReport {
  std::uint64_t cpu_ns = 0;         ///< this process over the timed frames
  std::uint64_t daemon_cpu_ns = 0;  ///< the daemon's threads over the same window
  std::uint32_t data_type = 0;      ///< spa_data type of the buffers it got
  std::uint32_t buffers = 0;        ///< buffers added to its stream
};

/// Connects to the daemon in `runtime_dir`, announces its node id over `ctl` (Connect), waits
/// for the consumer's Connected, then queues plan.warmup + plan.frames frames, each after
/// the consumer's Released for the one before, and waits for its Done.
[[nodiscard]] Result<void> run_producer(const std::filesystem::path& runtime_dir, pid_t daemon,
                                        const PipewirePlan& plan, const UniqueFd& ctl,
                                        std::chrono::milliseconds timeout, ProducerReport& report);

}  // namespace geyser::bench::pipewire
