// Channel names: what every transport (Unix sockets, named pipes, loopback) accepts.
#pragma once

#include <cstddef>
#include <string_view>

#include "geyser/error.hpp"

namespace geyser::ipc {

/// Longest channel name.
inline constexpr std::size_t kMaxChannelNameSize = 64;

/// Checks a channel name: 1..64 characters of [A-Za-z0-9._-], and neither "." nor "..".
/// Validation naming the bad character (and its position) or the length otherwise.
[[nodiscard]] Result<void> validate_channel_name(std::string_view name);

}  // namespace geyser::ipc
