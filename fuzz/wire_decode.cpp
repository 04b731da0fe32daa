// Fuzz target: ipc::decode of arbitrary bytes with a fuzzer-chosen number of attached
// handles. Input: one byte that picks the handle count (0..kMaxHandlesPerMessage + 1) and
// their kind (memfds or /dev/null duplicates), then the message bytes. Checks that decode
// never crashes, that a decoded message encodes again to the same bytes, and that every
// handle is closed once decode and the message are done with (no fd leaks).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "geyser/ipc/wire.hpp"

using namespace geyser;

namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t count = data[0] % (ipc::kMaxHandlesPerMessage + 2);
  const bool use_memfd = (data[0] & 0x80) != 0;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);

  std::vector<int> raw;
  std::vector<UniqueHandle> handles;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = use_memfd ? ::memfd_create("geyser-fuzz", MFD_CLOEXEC)
                             : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) std::abort();
    raw.push_back(fd);
    handles.emplace_back(fd);
  }
  {
    auto decoded = ipc::decode(bytes, std::move(handles));
    if (decoded) {
      // What decodes must encode back to the same bytes (the codec is one layout).
      auto encoded = ipc::encode(*decoded);
      if (!encoded) {
        std::fprintf(stderr, "decoded %s does not encode: %s\n",
                     std::string(ipc::to_string(ipc::message_type(*decoded))).c_str(),
                     encoded.error().to_string().c_str());
        std::abort();
      }
      if (encoded->bytes.size() != bytes.size() ||
          std::memcmp(encoded->bytes.data(), bytes.data(), bytes.size()) != 0) {
        std::fprintf(stderr, "decode/encode round trip differs\n");
        std::abort();
      }
      if (encoded->handles.size() != count) std::abort();
    } else if (decoded.error().code() != ErrorCode::Protocol) {
      std::fprintf(stderr, "decode failed with %s, not Protocol\n",
                   decoded.error().to_string().c_str());
      std::abort();
    }
  }
  // The message (or the failed decode) is gone: every handle must be closed.
  for (const int fd : raw) {
    if (is_open(fd)) {
      std::fprintf(stderr, "fd %d leaked by decode\n", fd);
      std::abort();
    }
  }
  return 0;
}
