// What the soak test reads from the lines its peers print (tests/channel/channel_peer.cpp's
// header lists them): frames, reconnects, fd and RSS samples, and lines that mean trouble.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace geyser::soak {

using LinePredicate = std::function<bool(const std::vector<std::string>&)>;

/// A line starting with `prefix` at or after line `from`.
[[nodiscard]] LinePredicate has_prefix(std::string prefix, std::size_t from);
/// At least `count` "frame ..." lines at or after line `from`.
[[nodiscard]] LinePredicate has_frames_after(std::size_t from, std::size_t count);
/// At least `count` "first ns ..." lines: frames from that many connections.
[[nodiscard]] LinePredicate has_connections(std::size_t count);

/// A receiver's "proc fds D rss B".
struct ProcSample {
  std::uint64_t fds = 0;
  std::uint64_t rss = 0;
};
/// The first proc line that follows the `frames`-th frame line at or after line `from`.
[[nodiscard]] std::optional<ProcSample> proc_after_frames(const std::vector<std::string>& lines,
                                                          std::size_t from, std::size_t frames);

/// "frame ..." lines: frames a receiver acquired and checked.
[[nodiscard]] std::size_t frame_lines(const std::vector<std::string>& lines);

/// Each "disconnected ns T" paired with the next "first ns T'" (its first frame on a new
/// connection): T' - T in ms. A disconnect with no first frame after it is incomplete.
struct ReconnectTimes {
  std::vector<double> ms;
  std::size_t incomplete = 0;
};
[[nodiscard]] ReconnectTimes reconnect_times(const std::vector<std::string>& lines);

/// Lines that mean a failure whatever the peer: a bad frame or held frame, a stale frame,
/// an error, a validation count above 0, a summary with bad or stale frames.
[[nodiscard]] std::vector<std::string> problem_lines(const std::vector<std::string>& lines);
/// The last line is "validation 0": the peer got to its end with a silent layer.
[[nodiscard]] bool ended_with_validation_zero(const std::vector<std::string>& lines);

/// The nearest-rank percentile `p` (0..100) of `values`; 0 for none.
[[nodiscard]] double percentile(std::vector<double> values, double p);

}  // namespace geyser::soak
