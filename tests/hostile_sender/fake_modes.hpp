// The fake sender's ways of misbehaving, one short function each, chosen by --mode.
#pragma once

#include <span>
#include <string_view>

#include "fake_stream.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/transport.hpp"

namespace geyser::hostile {

/// One receiver connection whose Hello was read, and the ring to describe to it.
struct Peer {
  ipc::Connection& connection;
  FakeStream* stream;  ///< null for the modes that never describe a stream
};

struct Mode {
  std::string_view name;
  bool needs_stream;                   ///< whether the mode needs a FakeStream (a Vulkan device)
  Result<void> (*answer)(Peer& peer);  ///< what it does once it has read a Hello
};

/// Every mode, in the order `--help` lists them.
[[nodiscard]] std::span<const Mode> modes();
/// The mode called `name`, or null.
[[nodiscard]] const Mode* find_mode(std::string_view name);

}  // namespace geyser::hostile
