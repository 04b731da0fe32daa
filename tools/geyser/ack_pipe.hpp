// `geyser demo`'s pacing between its two children: the receiver writes the number of each
// frame it has finished with to a pipe (`recv --ack-fd`), the sender reads them
// (`send --pace-fd`) and presents frame N once N - 1 was acknowledged. ack_pipe_posix.cpp,
// ack_pipe_win32.cpp (a C runtime fd over an anonymous pipe there).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace geyser::cli {

/// Reads decimal frame numbers, one per line, from an fd it does not own.
class AckReader {
 public:
  explicit AckReader(int fd) : fd_(fd) {}
  /// The highest frame number read so far.
  [[nodiscard]] std::uint64_t acked() const noexcept { return acked_; }
  /// True once the writer closed its end (or reading failed).
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// Reads what is there, waiting at most `timeout` for something.
  void read(std::chrono::milliseconds timeout);

 private:
  // Parses what was read; a number may be split across reads.
  void take(const char* bytes, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
      const char c = bytes[i];
      if (c >= '0' && c <= '9') {
        current_ = current_ * 10 + static_cast<std::uint64_t>(c - '0');
      } else if (c == '\n') {
        acked_ = std::max(acked_, current_);
        current_ = 0;
      }
    }
  }

  int fd_;
  std::uint64_t acked_ = 0;
  std::uint64_t current_ = 0;
  bool closed_ = false;
};

/// Writes "FRAME\n" to `fd` (nothing when fd < 0); a reader that went away is ignored.
void write_ack(int fd, std::uint64_t frame);

}  // namespace geyser::cli
