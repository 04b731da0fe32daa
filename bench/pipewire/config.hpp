// The private PipeWire daemon's configuration: the native protocol, the access module that
// admits clients, and the factories two pw_stream clients and a link need, nothing else (no session
// manager, no devices, no drivers of its own: the producer's stream drives the graph).
#pragma once

#include <string>

namespace geyser::bench::pipewire {

/// The text of the daemon's configuration file (SPA-JSON, the format of pipewire.conf).
[[nodiscard]] std::string daemon_config();

}  // namespace geyser::bench::pipewire
