// Waiting on a 32-bit word in shared memory, across processes (a futex on Linux).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "geyser/error.hpp"

namespace geyser::ipc {

/// Waits while `*word` equals `expected`, at most `timeout`; returns early on a wake, and
/// may return spuriously: the caller re-reads what it waits for. Works on a read-only
/// mapping. Internal for an error of the OS other than a timeout or an interruption.
[[nodiscard]] Result<void> wait_on_address(const std::atomic<std::uint32_t>& word,
                                           std::uint32_t expected,
                                           std::chrono::nanoseconds timeout);

/// Wakes every process and thread waiting on `word`.
void wake_address(std::atomic<std::uint32_t>& word) noexcept;

}  // namespace geyser::ipc
