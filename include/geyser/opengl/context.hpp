// A headless OpenGL context made through EGL, for tools, tests and applications that have no
// window. Applications with their own context do not need it: the rest of geyser::opengl
// works in whatever context is current.
//
// No EGL or GL header is included here, so that an application may load GL with any loader;
// EGL handles are returned as void* (EGLDisplay and EGLContext are pointer types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "geyser/device_selector.hpp"
#include "geyser/error.hpp"

namespace geyser::opengl {

/// The EGL platform a HeadlessContext's display is on.
enum class EglPlatform : std::uint8_t {
  Device,       ///< EGL_EXT_platform_device: one of eglQueryDevicesEXT's devices (NVIDIA, Mesa)
  Surfaceless,  ///< EGL_MESA_platform_surfaceless (Mesa)
};
/// "device", "surfaceless".
[[nodiscard]] std::string_view to_string(EglPlatform platform) noexcept;

/// An OpenGL 4.5 core profile context with no surface (EGL_KHR_surfaceless_context).
/// Move-only; owns the EGLContext and a reference to its EGLDisplay. Not thread-safe: use it
/// from one thread at a time, and destroy it on the thread where it is current (or after
/// releasing it there).
class HeadlessContext {
 public:
  /// Creates a context and makes it current on the calling thread (replacing whatever was
  /// current there). Tries each EGL device in eglQueryDevicesEXT's order
  /// (EGL_EXT_platform_device), then Mesa's surfaceless platform
  /// (EGL_MESA_platform_surfaceless); the first display that gives a current context wins.
  /// Fails with Unsupported, naming the missing extension or failing EGL call of every
  /// attempt, when none does.
  [[nodiscard]] static Result<HeadlessContext> create();
  /// The same, on the first display whose device `device` matches (an empty selector: any).
  /// A display is listed as its EGL device's index in eglQueryDevicesEXT's order (the
  /// surfaceless display has none, so an index never picks it), its GL_RENDERER and its
  /// GL_EXT_memory_object device UUID (the Vulkan and CUDA UUID of the same GPU).
  /// Validation, listing every display tried, when none matches.
  [[nodiscard]] static Result<HeadlessContext> create(const DeviceSelector& device);
  /// The same, on `platform`'s displays only.
  [[nodiscard]] static Result<HeadlessContext> create_on(EglPlatform platform);

  /// Releases the context from the calling thread if it is current there, destroys it, and
  /// terminates the display when no other HeadlessContext of this process uses it.
  ~HeadlessContext();
  HeadlessContext(HeadlessContext&& other) noexcept;
  HeadlessContext& operator=(HeadlessContext&& other) noexcept;
  HeadlessContext(const HeadlessContext&) = delete;
  HeadlessContext& operator=(const HeadlessContext&) = delete;

  /// Makes the context current on the calling thread (no draw or read surface). Internal
  /// naming the EGL error when eglMakeCurrent fails (e.g. current on another thread).
  [[nodiscard]] Result<void> make_current() const;
  /// Whether the context is current on the calling thread.
  [[nodiscard]] bool is_current() const noexcept;

  /// GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
  [[nodiscard]] const std::string& renderer() const noexcept { return renderer_; }
  /// GL_VERSION, e.g. "4.5 (Core Profile) Mesa 22.3.6".
  [[nodiscard]] const std::string& version() const noexcept { return version_; }
  /// Which platform the display is on.
  [[nodiscard]] EglPlatform platform() const noexcept { return platform_; }
  /// The EGLDisplay; owned by the context (do not terminate it).
  [[nodiscard]] void* egl_display() const noexcept { return display_; }
  /// The EGLContext; owned by the context (do not destroy it).
  [[nodiscard]] void* egl_context() const noexcept { return context_; }

 private:
  HeadlessContext(void* display, void* context, EglPlatform platform) noexcept
      : display_(display), context_(context), platform_(platform) {}
  [[nodiscard]] static Result<HeadlessContext> create_from(std::optional<EglPlatform> only,
                                                           const DeviceSelector& device);
  void destroy() noexcept;

  void* display_ = nullptr;
  void* context_ = nullptr;
  EglPlatform platform_ = EglPlatform::Surfaceless;
  std::string renderer_;
  std::string version_;
};

}  // namespace geyser::opengl
