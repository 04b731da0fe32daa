// Runs the `geyser` command (or another program) as a child process: output through pipes read with
// poll timeouts, and always reaped before a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace geyser::cli_test {

/// What a finished process left.
struct Outcome {
  int exit_code = -1;      ///< -1 when it did not exit normally
  int signal = 0;          ///< the signal that ended it, if any
  bool timed_out = false;  ///< killed at the deadline
  std::string out;         ///< stdout
  std::string err;         ///< stderr
  std::chrono::milliseconds elapsed{0};
};

/// Extra environment variables for the child, on top of this process's environment.
using Env = std::vector<std::pair<std::string, std::string>>;

/// A running `geyser` process. Destroying it kills and reaps it.
class Process {
 public:
  /// Starts GEYSER_CLI with `args` (without argv[0]).
  Process(const std::vector<std::string>& args, const Env& env = {});
  /// Starts `program` (a path) with `args`.
  Process(const std::string& program, const std::vector<std::string>& args, const Env& env = {});
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  /// Reads its output until it exits or `timeout` passes; then kills it (SIGKILL) if it
  /// still runs, and reaps it.
  Outcome wait(std::chrono::milliseconds timeout);
  /// Sends `sig`, then wait(timeout).
  Outcome stop(int sig, std::chrono::milliseconds timeout);
  /// Reads its output, without waiting for it to exit, until `done(out, err)` holds on all
  /// read so far (true), or it closed both pipes or `timeout` passed (false).
  bool read_until(const std::function<bool(const std::string& out, const std::string& err)>& done,
                  std::chrono::milliseconds timeout);
  /// Its stdout and stderr read so far.
  [[nodiscard]] const std::string& out() const noexcept { return outcome_.out; }
  [[nodiscard]] const std::string& err() const noexcept { return outcome_.err; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }

 private:
  void drain(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  Outcome outcome_;
  std::chrono::steady_clock::time_point start_;
};

/// Runs `geyser args...` to completion (at most `timeout`).
Outcome run(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
            const Env& env = {});

}  // namespace geyser::cli_test
