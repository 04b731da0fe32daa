#include "support/peer_main.hpp"

#include <fcntl.h>

#include <cstdio>

#include "support/fixed_message.hpp"

namespace geyser::test {

std::optional<UniqueFd> peer_socket(const char* name) {
  if (fcntl(kPeerSocketFd, F_GETFD) < 0) {
    std::fprintf(stderr, "%s: no socket on fd %d; run it from the tests\n", name, kPeerSocketFd);
    return std::nullopt;
  }
  return UniqueFd(kPeerSocketFd);
}

bool serve_until_done(const char* name, const std::function<Result<bool>()>& serve_one) {
  for (;;) {
    auto served = serve_one();
    if (!served) {
      if (served.error().code() == ErrorCode::Disconnected) return true;
      std::fprintf(stderr, "%s: %s\n", name, served.error().to_string().c_str());
      return false;
    }
    if (!*served) return true;
  }
}

std::uint64_t destroy_and_count_validation_errors(std::unique_ptr<vulkan::Device>& device,
                                                  const char* name) {
  device.reset();
  const std::uint64_t validation_errors = vulkan::validation_error_count();
  if (validation_errors > 0) {
    std::fprintf(stderr, "%s: %llu validation error(s)\n", name,
                 static_cast<unsigned long long>(validation_errors));
  }
  return validation_errors;
}

}  // namespace geyser::test
