// The acknowledgement pipe of `geyser demo` on Windows (ack_pipe.hpp): the fd is a C
// runtime descriptor over an anonymous pipe, polled with PeekNamedPipe (pipes have no
// readiness wait of their own) and read with ReadFile.
#include <io.h>
#include <windows.h>

#include <string>

#include "ack_pipe.hpp"

namespace geyser::cli {

void AckReader::read(std::chrono::milliseconds timeout) {
  const auto pipe = reinterpret_cast<HANDLE>(_get_osfhandle(fd_));
  if (pipe == INVALID_HANDLE_VALUE) {
    closed_ = true;
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  DWORD available = 0;
  for (;;) {
    if (!PeekNamedPipe(pipe, nullptr, 0, nullptr, &available, nullptr)) {
      closed_ = true;  // ERROR_BROKEN_PIPE: the writer closed its end
      return;
    }
    if (available > 0 || std::chrono::steady_clock::now() >= deadline) break;
    Sleep(1);
  }
  if (available == 0) return;
  char buffer[256];
  DWORD n = 0;
  if (!ReadFile(pipe, buffer, sizeof buffer, &n, nullptr) || n == 0) {
    closed_ = true;
    return;
  }
  take(buffer, n);
}

void write_ack(int fd, std::uint64_t frame) {
  if (fd < 0) return;
  const std::string line = std::to_string(frame) + "\n";
  // The sender may be gone: the write fails and is ignored.
  (void)_write(fd, line.data(), static_cast<unsigned>(line.size()));
}

}  // namespace geyser::cli
