// The two synchronization modes of docs/architecture.md, rule 5, and how a pair of peers picks one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "geyser/error.hpp"

namespace geyser {

/// How the two sides of a shared texture order their accesses.
enum class SyncMode : std::uint8_t {
  Gpu,  ///< exported timeline semaphores: waits and signals happen on the GPU queues
  Cpu,  ///< fences waited on the CPU, then a shared CPU timeline (CpuTimeline) is advanced
};
[[nodiscard]] std::string_view to_string(SyncMode mode) noexcept;
/// "gpu" or "cpu" (case-insensitive).
[[nodiscard]] std::optional<SyncMode> parse_sync_mode(std::string_view text) noexcept;

/// What one side can do with shared semaphores.
struct SyncCapabilities {
  bool timeline_export = false;  ///< can export timeline semaphores as opaque fds
  bool timeline_import = false;  ///< can import them
  friend bool operator==(const SyncCapabilities&, const SyncCapabilities&) = default;
};

/// Picks the mode for a producer and a consumer: Gpu when the producer can export and the
/// consumer can import timeline semaphores (and the producer can import the consumer's
/// release semaphore's handle, which it creates and exports too), else Cpu.
/// The environment variable GEYSER_SYNC overrides: "cpu" forces Cpu; "gpu" forces Gpu and
/// fails with Unsupported naming the side that cannot; "auto" or unset picks as above; any
/// other value is a Validation error.
[[nodiscard]] Result<SyncMode> choose_sync_mode(const SyncCapabilities& producer,
                                                const SyncCapabilities& consumer);

}  // namespace geyser
