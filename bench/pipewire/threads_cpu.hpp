// CPU time of another process (the daemon), summed over its threads.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace geyser::bench::pipewire {

/// Nanoseconds on CPU of every thread of `pid` (/proc/PID/task/*/schedstat); 0 when the
/// kernel does not say.
[[nodiscard]] std::uint64_t threads_cpu_ns(pid_t pid) noexcept;

}  // namespace geyser::bench::pipewire
