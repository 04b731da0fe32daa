// Discovery: the channels this user publishes, as `geyser list` shows them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/ipc/wire.hpp"

namespace geyser::channel {

/// One channel and what its sender says about it.
struct ChannelInfo {
  std::string name;
  bool alive = false;            ///< false: a stale socket, or the sender did not answer
  ipc::Description description;  ///< valid when alive
  std::string error;             ///< why not alive
};

/// Lists the channels in `runtime_dir` (empty: ipc::runtime_dir()) and asks each sender to
/// describe itself, waiting at most `timeout` for each. A sender whose credentials (as the
/// OS recorded them) `policy` refuses is not asked: it is listed not alive, with the
/// PermissionDenied naming its pid and uid as the reason.
[[nodiscard]] Result<std::vector<ChannelInfo>> list_channels(
    const std::filesystem::path& runtime_dir = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(500),
    const ipc::PeerPolicy& policy = {});

/// The same over any transport (e.g. an ipc::LoopbackTransport in tests).
[[nodiscard]] Result<std::vector<ChannelInfo>> list_channels(
    ipc::Transport& transport, std::chrono::milliseconds timeout = std::chrono::milliseconds(500),
    const ipc::PeerPolicy& policy = {});

}  // namespace geyser::channel
