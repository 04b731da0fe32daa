// Helpers shared by the channel subcommands (demo, list, send, recv): option validators,
// the runtime directory and device with hints a user can act on, stop signals, latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "geyser/color.hpp"
#include "geyser/device_selector.hpp"
#include "geyser/format.hpp"

namespace geyser::cli {

/// A texture size given as "WIDTHxHEIGHT".
struct Size {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

/// Parses "1280x720" (each side 1..kMaxTextureDimension); nullopt otherwise.
[[nodiscard]] std::optional<Size> parse_size(std::string_view text);
/// The CLI11 check for --size: a usage error (exit 2) that says what is expected.
[[nodiscard]] CLI::Validator size_validator();
/// The CLI11 check for --format: a colour format by name (any case); the message lists them.
[[nodiscard]] CLI::Validator format_validator();
/// The CLI11 check for a channel name (ipc::validate_channel_name).
[[nodiscard]] CLI::Validator channel_name_validator();
/// Parses a format that format_validator() accepted.
[[nodiscard]] TextureFormat parse_color_format(std::string_view text);
/// "Rgba8Unorm, Bgra8Unorm, ...": the formats send can fill (colour formats).
[[nodiscard]] std::string color_format_list();
/// The CLI11 checks for --color-space, --alpha and --orientation: a name that
/// parse_color_space (parse_alpha_mode, parse_orientation) takes; the message lists them.
[[nodiscard]] CLI::Validator color_space_validator();
[[nodiscard]] CLI::Validator alpha_mode_validator();
[[nodiscard]] CLI::Validator orientation_validator();
/// "srgb/straight/top-down": a colour description as `geyser list` and `recv` show it.
[[nodiscard]] std::string color_text(const ColorDescription& color);

/// The runtime directory, made sure of (ipc::runtime_dir). On failure prints why to stderr,
/// prefixed with "geyser <command>: ", with a hint (GEYSER_RUNTIME_DIR) and returns nullopt.
[[nodiscard]] std::optional<std::filesystem::path> open_runtime_dir(std::string_view command);

/// SIGINT and SIGTERM set a flag (without SA_RESTART, so that waits return early) instead of
/// killing the process; SIGPIPE is ignored. On Windows: Ctrl-C, Ctrl-Break and closing the
/// console. Call once before the command's loop (console_posix.cpp, console_win32.cpp).
void install_stop_signals();
/// True once SIGINT or SIGTERM (Windows: a console control event) arrived.
[[nodiscard]] bool stop_requested() noexcept;
/// True if `out` is a terminal (a console on Windows).
[[nodiscard]] bool is_terminal(std::FILE* out) noexcept;
/// "hint: channels live in ..." with how to point GEYSER_RUNTIME_DIR elsewhere, lines ending
/// in '\n', for a runtime directory that cannot be used.
[[nodiscard]] const char* runtime_dir_hint() noexcept;
/// How to get a Vulkan driver on this system: one line starting "hint: ", no newline.
[[nodiscard]] const char* vulkan_driver_hint() noexcept;

/// CLOCK_MONOTONIC in nanoseconds: the clock of ReceivedFrame::timestamp_ns.
[[nodiscard]] std::uint64_t monotonic_ns() noexcept;

/// Handoff latencies in microseconds over the last kLatencyWindow frames.
class LatencyStats {
 public:
  static constexpr std::size_t kLatencyWindow = 100000;
  void add(double microseconds);
  /// The p-th percentile (0..100, nearest rank); 0 when empty.
  [[nodiscard]] double percentile(double p) const;
  [[nodiscard]] std::size_t count() const noexcept { return samples_.size(); }

 private:
  std::vector<double> samples_;
  std::size_t next_ = 0;  // where the next sample goes once the window is full
};

/// A status line: rewritten in place (\r) on a terminal, else printed as a new line at most
/// once per `interval`.
class StatusLine {
 public:
  explicit StatusLine(std::FILE* out, std::chrono::milliseconds interval = std::chrono::seconds(1));
  /// Shows `text` (now on a terminal, else if `interval` passed since the last line or
  /// `force`).
  void update(const std::string& text, bool force = false);
  /// Ends the line on a terminal, so that what follows starts on its own line.
  void finish();
  [[nodiscard]] bool tty() const noexcept { return tty_; }

 private:
  std::FILE* out_;
  bool tty_;
  bool open_ = false;  // a \r line is on screen
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
};

/// "1.23 ms" or "456 us".
[[nodiscard]] std::string format_latency(double microseconds);

}  // namespace geyser::cli
