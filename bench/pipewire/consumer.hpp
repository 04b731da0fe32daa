// The PipeWire baseline's consumer process: a pw_stream linked straight to the producer's
// node (there is no session manager to do it), timing each frame its process callback gets.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"
#include "pipewire/scenario.hpp"

namespace geyser::bench::pipewire {

inline constexpr std::uint32_t kMaxFrames = 4096;

/// What the consumer measured; plain data, it lives in memory shared with the parent.
struct ConsumerReport {
  std::uint64_t cpu_ns = 0;     ///< this process over the timed frames
  std::uint64_t frames = 0;     ///< frames received, warmup included
  std::uint32_t data_type = 0;  ///< spa_data type of the buffers it got
  std::uint32_t buffers = 0;    ///< buffers added to its stream
  std::uint32_t latency_count = 0;
  double latency_us[kMaxFrames];  ///< per timed frame: the producer's stamp -> received
};

/// Waits for the producer's node id (Connect over `ctl`), connects its own stream, links
/// the two with the daemon's link factory, says Connected once streaming, then answers every
/// frame with Released (its number) and the last with Done.
[[nodiscard]] Result<void> run_consumer(const std::filesystem::path& runtime_dir,
                                        const PipewirePlan& plan, const UniqueFd& ctl,
                                        std::chrono::milliseconds timeout, ConsumerReport& report);

}  // namespace geyser::bench::pipewire
