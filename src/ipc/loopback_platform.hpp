// What the loopback transport needs of the platform (internal): this process's credentials
// and the test for an empty handle; its readiness handles are ipc::Signal (signal.hpp).
#pragma once

#include <string>

#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/signal.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc::loopback_detail {

using ipc::Signal;

/// This process as a peer: pid and effective uid/gid on Linux, pid and user SID on Windows.
[[nodiscard]] PeerCredentials own_credentials();

/// Whether `handle` is no handle at all (negative on Linux; null or INVALID_HANDLE_VALUE on
/// Windows), and how to print it in a message.
[[nodiscard]] bool is_empty(NativeHandle handle) noexcept;
[[nodiscard]] std::string handle_text(NativeHandle handle);

}  // namespace geyser::ipc::loopback_detail
