// A private PipeWire daemon for one benchmark run: its own runtime and configuration
// directory, started from the `pipewire` binary and always stopped by its owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "geyser/error.hpp"

namespace geyser::bench::pipewire {

/// The `pipewire` binary on PATH. Unsupported (the reason to skip) when there is none.
[[nodiscard]] Result<std::filesystem::path> find_daemon_binary();

/// `pipewire --version` without its first line, the lines joined with "; ", e.g.
/// "Compiled with libpipewire 0.3.65; Linked with libpipewire 0.3.65".
[[nodiscard]] Result<std::string> daemon_version(const std::filesystem::path& binary);

/// A running daemon, stopped (SIGTERM, then SIGKILL after two seconds) when destroyed.
/// Move-only.
class Daemon {
 public:
  /// Writes the configuration into `dir` (which must exist) and starts `binary` with it,
  /// PIPEWIRE_RUNTIME_DIR and XDG_RUNTIME_DIR set to `dir`; returns once its socket accepts
  /// connections. Unsupported, with the end of the daemon's log, when it exits or does not
  /// listen within `timeout`.
  [[nodiscard]] static Result<Daemon> start(const std::filesystem::path& binary,
                                            const std::filesystem::path& dir,
                                            std::chrono::milliseconds timeout);
  Daemon(Daemon&& other) noexcept;
  Daemon& operator=(Daemon&&) = delete;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() { stop(); }

  /// Stops and reaps the daemon; idempotent.
  void stop() noexcept;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] const std::filesystem::path& runtime_dir() const noexcept { return dir_; }

 private:
  Daemon(pid_t pid, std::filesystem::path dir) : pid_(pid), dir_(std::move(dir)) {}
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

}  // namespace geyser::bench::pipewire
