// Waiting on the CPU, with a bound, for what the current OpenGL context has issued
// (GL_ARB_sync, core since OpenGL 3.2): what the `cpu` sync mode needs before it signals
// the other side, and what glFinish cannot give (it has no timeout).
#pragma once

#include <chrono>
#include <utility>

#include "geyser/error.hpp"

namespace geyser::opengl {

/// A fence after the commands issued so far in the current context (glFenceSync). Owns the
/// GLsync; move-only; delete it in a context that shares objects with the one it was made in.
class GlFence {
 public:
  /// A fence after everything issued so far, flushed. Validation with no current context;
  /// Internal naming glFenceSync when it fails.
  [[nodiscard]] static Result<GlFence> insert();

  GlFence() noexcept = default;
  ~GlFence();
  GlFence(GlFence&& other) noexcept : sync_(std::exchange(other.sync_, nullptr)) {}
  GlFence& operator=(GlFence&& other) noexcept;
  GlFence(const GlFence&) = delete;
  GlFence& operator=(const GlFence&) = delete;

  /// Whether the commands before the fence have executed (never waits).
  [[nodiscard]] bool signalled() const;
  /// Waits at most `timeout` for them: Timeout when they have not executed by then,
  /// DeviceLost or Internal when GL reports GL_WAIT_FAILED.
  [[nodiscard]] Result<void> wait(std::chrono::nanoseconds timeout) const;

 private:
  explicit GlFence(void* sync) noexcept : sync_(sync) {}
  void* sync_ = nullptr;  // GLsync
};

/// Waits at most `timeout` until the current context has executed every command issued so
/// far: insert() then wait().
[[nodiscard]] Result<void> finish(std::chrono::nanoseconds timeout);

}  // namespace geyser::opengl
