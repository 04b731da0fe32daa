// The benchmark's own control messages between its worker processes, over a socketpair made
// before forking. They sequence the scenarios (so that each sample is one uncontended
// handoff) and are never part of what is timed, except the ping-pong baseline.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::bench {

enum class Ctl : std::uint32_t {
  Connect = 1,  ///< sender -> receiver: channel `arg` is published, connect to it
  Connected,    ///< receiver -> sender
  Released,     ///< receiver -> sender: the frame was acquired and released
  CopySetup,    ///< sender -> receiver: the staging memfd (attached), `value` bytes
  CopyReady,    ///< sender -> receiver: the frame is in the memfd; `value`: start time (ns)
  CopyDone,     ///< receiver -> sender: uploaded
  Done,         ///< receiver -> sender: disconnected from channel `arg`
};

struct CtlMessage {
  Ctl kind = Ctl::Done;
  std::uint32_t arg = 0;
  std::uint64_t value = 0;
  std::vector<UniqueFd> fds;
};

/// Sends a control message (the fds are duplicated into it, not consumed).
[[nodiscard]] Result<void> send_ctl(const UniqueFd& socket, Ctl kind, std::uint32_t arg = 0,
                                    std::uint64_t value = 0, std::span<const int> fds = {});
/// Receives one control message, which must be of kind `expected` (Protocol otherwise).
[[nodiscard]] Result<CtlMessage> receive_ctl(const UniqueFd& socket, Ctl expected,
                                             std::chrono::milliseconds timeout);

/// Bytes of the bare socket baseline's message: 56, the size of protocol version 1's
/// per-frame message (FramePresented), kept so that figures compare across versions.
[[nodiscard]] std::size_t frame_message_size();

}  // namespace geyser::bench
