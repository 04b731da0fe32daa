// HeadlessContext: an OpenGL 4.5 core context on an EGL display, with no surface.
#include "geyser/opengl/context.hpp"

#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include <optional>
#include <utility>
#include <vector>

#include "egl_display.hpp"
#include "geyser/opengl/identity.hpp"
#include "gl_call.hpp"

namespace geyser::opengl {
namespace {

using detail::DisplayCandidate;
using detail::egl_error_string;

// What every step failed with, for the final Unsupported message.
std::string join(const std::vector<std::string>& attempts) {
  std::string out;
  for (const std::string& attempt : attempts) out += (out.empty() ? "" : "; ") + attempt;
  return out;
}

// EGL_KHR_no_config_context (or its Mesa predecessor) lets a surfaceless context have no
// config; otherwise any config that can render OpenGL will do, since nothing is drawn to a
// surface. Pbuffer configs are the ones device displays (NVIDIA) offer.
Result<EGLConfig> pick_config(const DisplayCandidate& c) {
  if (epoxy_has_egl_extension(c.display, "EGL_KHR_no_config_context") ||
      epoxy_has_egl_extension(c.display, "EGL_MESA_configless_context")) {
    return EGL_NO_CONFIG_KHR;
  }
  const EGLint attribs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
                            EGL_NONE};
  EGLConfig config = nullptr;
  EGLint count = 0;
  if (!eglChooseConfig(c.display, attribs, &config, 1, &count) || count == 0) {
    return fail(ErrorCode::Unsupported, c.label +
                                            ": no EGL_KHR_no_config_context and eglChooseConfig "
                                            "found no OpenGL config (" +
                                            egl_error_string(eglGetError()) + ")");
  }
  return config;
}

// Needs an initialized display. The version attributes are EGL 1.5 or EGL_KHR_create_context
// (the same values); a surfaceless context needs EGL_KHR_surfaceless_context.
Result<EGLContext> create_gl_context(const DisplayCandidate& c) {
  if (!epoxy_has_egl_extension(c.display, "EGL_KHR_surfaceless_context")) {
    return fail(ErrorCode::Unsupported, c.label + ": EGL_KHR_surfaceless_context is missing");
  }
  if (epoxy_egl_version(c.display) < 15 &&
      !epoxy_has_egl_extension(c.display, "EGL_KHR_create_context")) {
    return fail(ErrorCode::Unsupported,
                c.label +
                    ": neither EGL 1.5 nor EGL_KHR_create_context (needed for a 4.5 core "
                    "context)");
  }
  if (!eglBindAPI(EGL_OPENGL_API)) {
    return fail(ErrorCode::Unsupported,
                c.label + ": eglBindAPI(EGL_OPENGL_API): " + egl_error_string(eglGetError()));
  }
  GEYSER_TRY(EGLConfig config, pick_config(c));
  const EGLint attribs[] = {EGL_CONTEXT_MAJOR_VERSION,
                            4,
                            EGL_CONTEXT_MINOR_VERSION,
                            5,
                            EGL_CONTEXT_OPENGL_PROFILE_MASK,
                            EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                            EGL_NONE};
  EGLContext context = eglCreateContext(c.display, config, EGL_NO_CONTEXT, attribs);
  if (context == EGL_NO_CONTEXT) {
    return fail(ErrorCode::Unsupported, c.label + ": eglCreateContext(OpenGL 4.5 core): " +
                                            egl_error_string(eglGetError()));
  }
  if (!eglMakeCurrent(c.display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
    const EGLint error = eglGetError();
    eglDestroyContext(c.display, context);
    return fail(ErrorCode::Unsupported,
                c.label + ": eglMakeCurrent(no surface): " + egl_error_string(error));
  }
  return context;
}

// Empty when the current context (made on `c`, its GL_RENDERER `renderer`) is a device
// `device` matches; otherwise what the display is, for the final message.
std::string check_device(const DeviceSelector& device, const DisplayCandidate& c,
                         const std::string& renderer) {
  if (device.empty()) return {};
  ListedDevice listed{c.device_index.value_or(0), renderer, Uuid{}};
  auto identity = current_identity();
  if (identity) listed.uuid = identity->device_uuid;
  if ((device.uuid && !identity) || !matches(device, listed)) {
    return c.label + " is " + renderer + ", UUID " +
           (identity ? geyser::to_string(listed.uuid)
                     : "unknown (" + identity.error().message() + ")");
  }
  return {};
}

}  // namespace

std::string_view to_string(EglPlatform platform) noexcept {
  switch (platform) {
    case EglPlatform::Device: return "device";
    case EglPlatform::Surfaceless: return "surfaceless";
  }
  return "unknown";
}

Result<HeadlessContext> HeadlessContext::create() {
  return create_from(std::nullopt, {});
}

Result<HeadlessContext> HeadlessContext::create(const DeviceSelector& device) {
  return create_from(std::nullopt, device);
}

Result<HeadlessContext> HeadlessContext::create_on(EglPlatform platform) {
  return create_from(platform, {});
}

Result<HeadlessContext> HeadlessContext::create_from(std::optional<EglPlatform> only,
                                                     const DeviceSelector& device) {
  std::vector<std::string> attempts;
  for (const DisplayCandidate& c : detail::display_candidates(attempts)) {
    if (only && c.platform != *only) continue;
    if (device.index && !c.device_index) {
      attempts.push_back(c.label + ": not an EGL device, so it has no index");
      continue;
    }
    if (auto acquired = detail::acquire_display(c.display, c.label); !acquired) {
      attempts.push_back(acquired.error().message());
      continue;
    }
    auto context = create_gl_context(c);
    if (!context) {
      detail::release_display(c.display);
      attempts.push_back(context.error().message());
      continue;
    }
    HeadlessContext out(c.display, *context, c.platform);
    out.renderer_ = detail::gl_string(GL_RENDERER);
    out.version_ = detail::gl_string(GL_VERSION);
    if (auto refused = check_device(device, c, out.renderer_); !refused.empty()) {
      attempts.push_back(refused);
      continue;  // `out` is destroyed: the context goes, and the display with its last user
    }
    return out;
  }
  if (!device.empty()) {
    return fail(ErrorCode::Validation,
                "HeadlessContext::create: no EGL display is the device asked for (" +
                    geyser::to_string(device) + "): " + join(attempts));
  }
  return fail(
      ErrorCode::Unsupported,
      "HeadlessContext::create: no EGL display gave an OpenGL 4.5 core context: " + join(attempts));
}

HeadlessContext::~HeadlessContext() {
  destroy();
}

HeadlessContext::HeadlessContext(HeadlessContext&& other) noexcept
    : display_(std::exchange(other.display_, nullptr)),
      context_(std::exchange(other.context_, nullptr)),
      platform_(other.platform_),
      renderer_(std::move(other.renderer_)),
      version_(std::move(other.version_)) {}

HeadlessContext& HeadlessContext::operator=(HeadlessContext&& other) noexcept {
  if (this != &other) {
    destroy();
    display_ = std::exchange(other.display_, nullptr);
    context_ = std::exchange(other.context_, nullptr);
    platform_ = other.platform_;
    renderer_ = std::move(other.renderer_);
    version_ = std::move(other.version_);
  }
  return *this;
}

void HeadlessContext::destroy() noexcept {
  if (context_ == nullptr) return;
  if (is_current()) eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext(display_, context_);
  detail::release_display(display_);
  context_ = nullptr;
  display_ = nullptr;
}

Result<void> HeadlessContext::make_current() const {
  if (context_ == nullptr) {
    return fail(ErrorCode::Validation, "HeadlessContext::make_current: moved-from context");
  }
  if (!eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_)) {
    return fail(ErrorCode::Internal, "HeadlessContext::make_current: eglMakeCurrent: " +
                                         egl_error_string(eglGetError()));
  }
  return {};
}

bool HeadlessContext::is_current() const noexcept {
  return context_ != nullptr && eglGetCurrentContext() == context_;
}

}  // namespace geyser::opengl
