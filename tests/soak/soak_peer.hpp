// A geyser_channel_peer process of the soak test (tests/channel/channel_peer.cpp): its stdin
// is a pipe the test only closes (EOF tells the peer to stop), its stdout is read line by
// line by a thread, its stderr goes to ours. Like the Peer of tests/channel/channel_test.cpp,
// plus what the soak needs: the signal that ended it, and no test failure from waiting
// (the soak decides what is a failure once it knows why a peer ended).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace geyser::soak {

using Clock = std::chrono::steady_clock;

/// CLOCK_MONOTONIC in nanoseconds: the clock of the peers' "ns T" fields.
[[nodiscard]] std::uint64_t monotonic_ns();

[[nodiscard]] inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

class Peer {
 public:
  /// Spawns `executable args...` with GEYSER_RUNTIME_DIR=runtime_dir. started() is false
  /// (and why() says why) when it could not be spawned.
  Peer(std::string label, const std::string& executable, const std::vector<std::string>& args,
       const std::string& runtime_dir);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  /// Kills (SIGKILL) and reaps it if still running.
  ~Peer();

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] const std::string& label() const { return label_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Not yet reaped (it may have exited already: see poll_exit).
  [[nodiscard]] bool running() const { return pid_ > 0 && !status_; }
  /// Reaps it without waiting if it has ended; true once it is reaped.
  bool poll_exit();

  /// EOF on its stdin: the peer stops at its next look.
  void close_stdin();
  /// SIGKILL now (if still running); the kill is remembered, so the signal is expected.
  void kill9();
  [[nodiscard]] bool killed_by_us() const { return killed_; }

  /// Reaps it, waiting at most `timeout`, then kills it. The wait status, or nullopt when it
  /// had to be killed (or was never started).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// The wait status once reaped.
  [[nodiscard]] std::optional<int> status() const { return status_; }

  [[nodiscard]] std::vector<std::string> lines() const;
  [[nodiscard]] std::size_t line_count() const;
  /// Waits until `done(lines)` holds, at most `timeout`. False on timeout.
  bool wait_until(const std::function<bool(const std::vector<std::string>&)>& done,
                  std::chrono::milliseconds timeout);
  /// The last `count` lines, for failure messages.
  [[nodiscard]] std::string tail(std::size_t count = 12) const;

 private:
  void read_lines();

  std::string label_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool killed_ = false;
  std::optional<int> status_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

}  // namespace geyser::soak
