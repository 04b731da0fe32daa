// The loopback transport's platform parts on Linux: our credentials, empty fds.
#include <unistd.h>

#include <string>

#include "loopback_platform.hpp"

namespace geyser::ipc::loopback_detail {

PeerCredentials own_credentials() {
  return PeerCredentials{::getpid(), ::geteuid(), ::getegid()};
}

bool is_empty(NativeHandle handle) noexcept {
  return handle < 0;
}

std::string handle_text(NativeHandle handle) {
  return std::to_string(handle);
}

}  // namespace geyser::ipc::loopback_detail
