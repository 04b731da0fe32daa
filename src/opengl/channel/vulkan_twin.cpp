// vulkan_twin: the Vulkan physical device with the GL context's UUIDs.
#include "vulkan_twin.hpp"

#include <epoxy/egl.h>

#include <string>

namespace geyser::opengl::detail {
namespace {

// The EGL binding of the calling thread, put back on destruction if it was lost. NVIDIA's
// Vulkan driver, loaded into a process whose thread has an EGL context current, leaves no
// context current on it (seen on the H200, driver 580: the first import after the twin was
// made found none); the GL sender must keep the application's.
class KeepEglCurrent {
 public:
  KeepEglCurrent() noexcept
      : display_(eglGetCurrentDisplay()),
        draw_(eglGetCurrentSurface(EGL_DRAW)),
        read_(eglGetCurrentSurface(EGL_READ)),
        context_(eglGetCurrentContext()) {}
  ~KeepEglCurrent() {
    if (context_ == EGL_NO_CONTEXT || eglGetCurrentContext() == context_) return;
    (void)eglMakeCurrent(display_, draw_, read_, context_);
  }
  KeepEglCurrent(const KeepEglCurrent&) = delete;
  KeepEglCurrent& operator=(const KeepEglCurrent&) = delete;

 private:
  EGLDisplay display_;
  EGLSurface draw_;
  EGLSurface read_;
  EGLContext context_;
};

}  // namespace

Result<std::unique_ptr<vulkan::Device>> vulkan_twin(const DeviceIdentity& identity) {
  const KeepEglCurrent keep;
  vulkan::HeadlessOptions options;
  options.device_uuid = identity.device_uuid;
  options.application_name = "geyser opengl sender";
  auto device = vulkan::Device::create_headless(options);
  if (!device || !device->identity().compatible_with(identity)) {
    return fail(ErrorCode::DeviceMismatch,
                "opengl::Sender: no Vulkan device has the OpenGL context's driver " +
                    to_string(identity.driver_uuid) + " and device " +
                    to_string(identity.device_uuid) + " (" +
                    (device ? "the device with that UUID is on driver " +
                                  to_string(device->identity().driver_uuid)
                            : device.error().to_string()) +
                    ")");
  }
  return std::make_unique<vulkan::Device>(std::move(device).value());
}

}  // namespace geyser::opengl::detail
