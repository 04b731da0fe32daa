// One process's connection to the private PipeWire daemon: a main loop, a context and a
// core, an error slot that any thread may fill (which also ends the loop), and a deadline.
#pragma once

#include <pipewire/pipewire.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "geyser/error.hpp"

namespace geyser::bench::pipewire {

class Client {
 public:
  /// pw_init, then connects to the daemon listening in `runtime_dir` (PIPEWIRE_RUNTIME_DIR
  /// is set to it for this process). Internal when the connection fails.
  [[nodiscard]] static Result<std::unique_ptr<Client>> connect(
      const std::filesystem::path& runtime_dir);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  [[nodiscard]] pw_core* core() const noexcept { return core_; }
  [[nodiscard]] pw_loop* loop() const noexcept { return pw_main_loop_get_loop(main_loop_); }

  /// Calls `on_readable` on the main loop whenever `fd` is readable (the fd stays owned by
  /// the caller and must outlive the client).
  void watch(int fd, std::function<void()> on_readable);

  /// Runs the main loop until quit() or abort(); Timeout with `progress()` (where it was)
  /// when `timeout` passes first. Returns the first error recorded by abort().
  [[nodiscard]] Result<void> run(std::chrono::milliseconds timeout,
                                 std::function<std::string()> progress);

  /// Ends run(); safe from any thread.
  void quit() noexcept;
  /// Records `error` (the first one wins) and ends run(); safe from any thread.
  void abort(Error error);
  [[nodiscard]] bool failed() const;

 private:
  Client() = default;
  static void on_core_error(void* data, uint32_t id, int seq, int res, const char* message);
  static void on_timer(void* data, uint64_t expirations);
  static void on_io(void* data, int fd, uint32_t mask);

  pw_main_loop* main_loop_ = nullptr;
  pw_context* context_ = nullptr;
  pw_core* core_ = nullptr;
  spa_hook core_listener_{};
  spa_source* timer_ = nullptr;
  std::function<void()> on_readable_;
  std::function<std::string()> progress_;
  mutable std::mutex mutex_;
  std::unique_ptr<Error> error_;
};

}  // namespace geyser::bench::pipewire
