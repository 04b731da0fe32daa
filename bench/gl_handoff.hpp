// Scenario f, gl_handoff: the cross-process handoff from a Vulkan sender to a Vulkan
// receiver, to an OpenGL receiver (opengl::Receiver in a headless EGL context) and to a CUDA
// receiver (cuda::Receiver on the Vulkan device's GPU), side by side in one run, interleaved
// sample by sample; plus the cost of one device copy of an optimal slot into linear device
// memory in CUDA (docs/BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "json_writer.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace geyser::bench {

struct GlHandoffPlan {
  Resolution resolution;            ///< RGBA8 frames of this size, on both channels
  std::uint32_t warmup = 50;        ///< untimed handoffs first, per receiver
  std::uint32_t samples = 1000;     ///< timed handoffs per receiver (at most 4096)
  std::uint32_t copy_warmup = 5;    ///< untimed CUDA copies first, per size
  std::uint32_t copy_samples = 50;  ///< timed CUDA copies per size (at most 4096)
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

/// One size of the CUDA copy of an optimal array into linear device memory (pitch
/// width * 4): cuMemcpy2DAsync and a stream synchronize, timed on the CPU.
struct CudaCopyRow {
  Resolution resolution;
  Summary copy_us;
  double gbps = 0.0;  ///< frame bytes / p50, in 10^9 bytes per second
};

/// The CUDA receiver's part: measured (Ok) or skipped (`reason`: built without CUDA, no
/// driver, no CUDA device with the Vulkan device's UUID).
struct GlHandoffCuda {
  bool measured = false;
  std::string reason;
  std::string device;  ///< the CUDA device's name
  GlHandoffReceiver receiver;
  std::vector<CudaCopyRow> copy_to_linear;  ///< 1920x1080 and 3840x2160
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
  GlHandoffCuda cuda;

  /// opengl p50 / vulkan p50; 0 unless measured.
  [[nodiscard]] double ratio_p50() const noexcept;
  /// cuda p50 / vulkan p50; 0 unless both measured.
  [[nodiscard]] double cuda_ratio_p50() const noexcept;
};

/// The aim: the OpenGL receiver's p50 at most this many times the Vulkan receiver's.
inline constexpr double kGlHandoffAim = 1.2;
/// The aim: the CUDA receiver's p50 at most this many times the Vulkan receiver's.
inline constexpr double kCudaHandoffAim = 1.2;

[[nodiscard]] const char* to_string(GlHandoffOutcome::Status status) noexcept;

/// Runs the scenario; every problem is in the outcome. Forks its workers (the caller must
/// not have initialised Vulkan or OpenGL).
[[nodiscard]] GlHandoffOutcome run_gl_handoff(const Environment& env, const GlHandoffPlan& plan);

/// Writes "gl_handoff": {...}.
void write_gl_handoff_json(JsonWriter& json, const GlHandoffOutcome& outcome);

/// The scenario's lines of the text report.
void print_gl_handoff(std::ostream& out, const GlHandoffOutcome& outcome);

}  // namespace geyser::bench
