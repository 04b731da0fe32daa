#include "egl_display.hpp"

#include <cstdio>
#include <map>
#include <mutex>

namespace geyser::opengl::detail {
namespace {

// More than any machine has; eglQueryDevicesEXT returns at most this many.
constexpr EGLint kMaxDevices = 32;

std::mutex& display_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<EGLDisplay, int>& display_users() {
  static std::map<EGLDisplay, int> users;
  return users;
}

bool has_client_extension(const char* name) {
  return epoxy_has_egl_extension(EGL_NO_DISPLAY, name);
}

// With EGL_KHR_display_reference, eglInitialize and eglTerminate are counted per display,
// so an application's own use of the same display survives ours. (eglGetPlatformDisplayEXT
// takes EGLint attributes.)
std::vector<EGLint> platform_attribs() {
  std::vector<EGLint> attribs;
  if (has_client_extension("EGL_KHR_display_reference")) {
    attribs.insert(attribs.end(), {EGL_TRACK_REFERENCES_KHR, EGL_TRUE});
  }
  attribs.push_back(EGL_NONE);
  return attribs;
}

void add_devices(std::vector<DisplayCandidate>& out, std::vector<std::string>& skipped) {
  if (!has_client_extension("EGL_EXT_platform_device") ||
      !has_client_extension("EGL_EXT_device_enumeration")) {
    skipped.push_back("EGL_EXT_platform_device: not offered (with EGL_EXT_device_enumeration)");
    return;
  }
  EGLDeviceEXT devices[kMaxDevices] = {};
  EGLint count = 0;
  if (!eglQueryDevicesEXT(kMaxDevices, devices, &count) || count == 0) {
    skipped.push_back("EGL_EXT_platform_device: eglQueryDevicesEXT found no device (" +
                      egl_error_string(eglGetError()) + ")");
    return;
  }
  const std::vector<EGLint> attribs = platform_attribs();
  for (EGLint i = 0; i < count; ++i) {
    const std::string label = "EGL_EXT_platform_device device " + std::to_string(i);
    EGLDisplay display =
        eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, devices[i], attribs.data());
    if (display == EGL_NO_DISPLAY) {
      skipped.push_back(label + ": eglGetPlatformDisplayEXT: " + egl_error_string(eglGetError()));
      continue;
    }
    out.push_back({display, EglPlatform::Device, label, static_cast<std::uint32_t>(i)});
  }
}

void add_surfaceless(std::vector<DisplayCandidate>& out, std::vector<std::string>& skipped) {
  const std::string label = "EGL_MESA_platform_surfaceless";
  if (!has_client_extension("EGL_MESA_platform_surfaceless")) {
    skipped.push_back(label + ": not offered");
    return;
  }
  const std::vector<EGLint> attribs = platform_attribs();
  EGLDisplay display =
      eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, attribs.data());
  if (display == EGL_NO_DISPLAY) {
    skipped.push_back(label + ": eglGetPlatformDisplayEXT: " + egl_error_string(eglGetError()));
    return;
  }
  out.push_back({display, EglPlatform::Surfaceless, label});
}

}  // namespace

std::vector<DisplayCandidate> display_candidates(std::vector<std::string>& skipped) {
  std::vector<DisplayCandidate> out;
  // Client extensions need EGL 1.5 or EGL_EXT_client_extensions; without them there is no
  // way to pick a platform, and epoxy would abort in eglGetPlatformDisplayEXT.
  if (eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS) == nullptr ||
      !has_client_extension("EGL_EXT_platform_base")) {
    skipped.push_back("EGL client extensions: EGL_EXT_platform_base is not offered (" +
                      egl_error_string(eglGetError()) + ")");
    return out;
  }
  add_devices(out, skipped);
  add_surfaceless(out, skipped);
  return out;
}

Result<void> acquire_display(EGLDisplay display, const std::string& label) {
  const std::lock_guard lock(display_mutex());
  int& users = display_users()[display];
  if (users == 0) {
    EGLint major = 0;
    EGLint minor = 0;
    if (!eglInitialize(display, &major, &minor)) {
      display_users().erase(display);
      return fail(ErrorCode::Unsupported,
                  label + ": eglInitialize: " + egl_error_string(eglGetError()));
    }
  }
  ++users;
  return {};
}

void release_display(EGLDisplay display) noexcept {
  const std::lock_guard lock(display_mutex());
  auto it = display_users().find(display);
  if (it == display_users().end()) return;
  if (--it->second > 0) return;
  display_users().erase(it);
  eglTerminate(display);
}

std::string egl_error_string(EGLint error) {
  const char* name = "unknown EGL error";
  switch (error) {
    case EGL_SUCCESS: name = "EGL_SUCCESS"; break;
    case EGL_NOT_INITIALIZED: name = "EGL_NOT_INITIALIZED"; break;
    case EGL_BAD_ACCESS: name = "EGL_BAD_ACCESS"; break;
    case EGL_BAD_ALLOC: name = "EGL_BAD_ALLOC"; break;
    case EGL_BAD_ATTRIBUTE: name = "EGL_BAD_ATTRIBUTE"; break;
    case EGL_BAD_CONFIG: name = "EGL_BAD_CONFIG"; break;
    case EGL_BAD_CONTEXT: name = "EGL_BAD_CONTEXT"; break;
    case EGL_BAD_CURRENT_SURFACE: name = "EGL_BAD_CURRENT_SURFACE"; break;
    case EGL_BAD_DISPLAY: name = "EGL_BAD_DISPLAY"; break;
    case EGL_BAD_MATCH: name = "EGL_BAD_MATCH"; break;
    case EGL_BAD_NATIVE_PIXMAP: name = "EGL_BAD_NATIVE_PIXMAP"; break;
    case EGL_BAD_NATIVE_WINDOW: name = "EGL_BAD_NATIVE_WINDOW"; break;
    case EGL_BAD_PARAMETER: name = "EGL_BAD_PARAMETER"; break;
    case EGL_BAD_SURFACE: name = "EGL_BAD_SURFACE"; break;
    case EGL_CONTEXT_LOST: name = "EGL_CONTEXT_LOST"; break;
    default: break;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%04X", static_cast<unsigned>(error));
  return std::string(name) + " (" + hex + ")";
}

}  // namespace geyser::opengl::detail
