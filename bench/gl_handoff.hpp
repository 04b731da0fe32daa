// Scenario f, gl_handoff: the cross-process handoff from a Vulkan sender to a Vulkan
// receiver and to an OpenGL receiver (opengl::Receiver in a headless EGL context), side by
// side in one run, the two interleaved sample by sample (docs/BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "json_writer.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace geyser::bench {

struct GlHandoffPlan {
  Resolution resolution;         ///< RGBA8 frames of this size, on both channels
  std::uint32_t warmup = 50;     ///< untimed handoffs first, per receiver
  std::uint32_t samples = 1000;  ///< timed handoffs per receiver (at most 4096)
};

/// One receiver's figures.
struct GlHandoffReceiver {
  std::string sync_mode;  ///< "gpu" or "cpu", as the receiver got it from the sender
  Summary latency_us;     ///< sender's stamp in present() -> the receiver's acquire() returned
  /// The receiver process's CPU (user+sys, all threads) per timed handoff: its acquire,
  /// release and the notice to the sender.
  double cpu_us_per_frame = 0.0;
  std::uint64_t frames_skipped = 0;
};

/// What became of the scenario: measured, skipped (no OpenGL backend, no GL context, GL on
/// another device than Vulkan; `reason` says which) or failed (`reason` holds the error).
struct GlHandoffOutcome {
  enum class Status { Ok, Skipped, Failed } status = Status::Skipped;
  std::string reason;
  Resolution resolution;
  std::uint32_t samples = 0;
  std::string vulkan_device;  ///< the sender's and the Vulkan receiver's device, and driver
  std::string gl_renderer;    ///< GL_RENDERER of the OpenGL receiver's context
  std::string gl_platform;    ///< its EGL platform ("device", "surfaceless")
  GlHandoffReceiver vulkan;
  GlHandoffReceiver opengl;

  /// opengl p50 / vulkan p50; 0 unless measured.
  [[nodiscard]] double ratio_p50() const noexcept;
};

/// The aim: the OpenGL receiver's p50 at most this many times the Vulkan receiver's.
inline constexpr double kGlHandoffAim = 1.2;

[[nodiscard]] const char* to_string(GlHandoffOutcome::Status status) noexcept;

/// Runs the scenario; every problem is in the outcome. Forks its workers (the caller must
/// not have initialised Vulkan or OpenGL).
[[nodiscard]] GlHandoffOutcome run_gl_handoff(const Environment& env, const GlHandoffPlan& plan);

/// Writes "gl_handoff": {...}.
void write_gl_handoff_json(JsonWriter& json, const GlHandoffOutcome& outcome);

/// The scenario's lines of the text report.
void print_gl_handoff(std::ostream& out, const GlHandoffOutcome& outcome);

}  // namespace geyser::bench
