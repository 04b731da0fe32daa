// geyser_fake_sender as a child process of a test: started in a mode, waited for until it
// published its channel, killed and reaped at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace geyser::hostile_test {

class FakeSenderProcess {
 public:
  /// Starts GEYSER_FAKE_SENDER `name` --mode `mode` with GEYSER_RUNTIME_DIR=`runtime_dir`;
  /// its stderr goes to `log`.
  FakeSenderProcess(const std::string& name, const std::string& mode,
                    const std::filesystem::path& runtime_dir, std::filesystem::path log);
  FakeSenderProcess(const FakeSenderProcess&) = delete;
  FakeSenderProcess& operator=(const FakeSenderProcess&) = delete;
  /// Kills (SIGKILL, which also ends a stopped process) and reaps it.
  ~FakeSenderProcess();

  /// Whether it said "ready" (its channel is published) within `timeout`.
  [[nodiscard]] bool wait_ready(std::chrono::milliseconds timeout);
  /// Whether it still runs (a stopped process runs).
  [[nodiscard]] bool alive();
  /// What it wrote on stderr so far.
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool reaped_ = false;
  std::filesystem::path log_;
};

}  // namespace geyser::hostile_test
