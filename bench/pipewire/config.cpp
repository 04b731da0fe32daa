#include "pipewire/config.hpp"

namespace geyser::bench::pipewire {

std::string daemon_config() {
  return R"(# geyser bench: a private PipeWire daemon for the handoff baseline.
context.properties = {
    core.daemon = true
    core.name = pipewire-0
    support.dbus = false
    mem.allow-mlock = false
    link.max-buffers = 16
    log.level = 2
}
context.spa-libs = {
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    # grants each new client its permissions; without it clients wait forever
    { name = libpipewire-module-access }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
]
context.objects = [
]
context.exec = [
]
)";
}

}  // namespace geyser::bench::pipewire
