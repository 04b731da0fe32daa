#include "info_opengl.hpp"

#include <iomanip>

#ifdef GEYSER_HAVE_OPENGL
#include "geyser/opengl/context.hpp"
#include "geyser/opengl/identity.hpp"
#endif

namespace geyser::cli {
namespace {

// The index of the Vulkan device the context's identity matches, if any.
std::optional<std::size_t> matching_device(const OpenGlReport& report,
                                           const std::vector<DeviceIdentity>& vulkan) {
  if (!report.identity) return std::nullopt;
  for (std::size_t i = 0; i < vulkan.size(); ++i) {
    if (report.identity->compatible_with(vulkan[i])) return i;
  }
  return std::nullopt;
}

}  // namespace

OpenGlReport gather_opengl() {
  OpenGlReport report;
#ifdef GEYSER_HAVE_OPENGL
  auto context = opengl::HeadlessContext::create();
  if (!context) {
    report.reason = context.error().to_string();
    return report;
  }
  report.available = true;
  report.platform = std::string(opengl::to_string(context->platform()));
  const opengl::GlCapabilities caps = opengl::capabilities();
  report.renderer = caps.renderer;
  report.version = caps.version;
  report.memory_object_fd = caps.memory_object_fd;
  report.semaphore_fd = caps.semaphore_fd;
  report.timeline_semaphore = caps.timeline_semaphore;
  if (auto identity = opengl::current_identity()) report.identity = *identity;
#else
  report.reason = "this geyser was built without the OpenGL backend (libepoxy not found)";
#endif
  return report;
}

void print_opengl(std::ostream& out, const OpenGlReport& report,
                  const std::vector<DeviceIdentity>& vulkan) {
  const auto field = [&](const char* key, const std::string& value) {
    out << "  " << std::left << std::setw(23) << (std::string(key) + ":") << value << '\n';
  };
  out << "\nOpenGL (headless EGL context)\n";
  if (!report.available) {
    field("available", "no (" + report.reason + ")");
    return;
  }
  field("EGL platform", report.platform);
  field("renderer", report.renderer);
  field("version", report.version);
  field("driver UUID", report.identity ? to_string(report.identity->driver_uuid) : "unknown");
  field("device UUID", report.identity ? to_string(report.identity->device_uuid) : "unknown");
  const auto device = matching_device(report, vulkan);
  field("shares with", device ? "Vulkan device " + std::to_string(*device)
                              : std::string("no Vulkan device listed above"));
  field("memory import", report.memory_object_fd ? "opaque_fd (GL_EXT_memory_object_fd)" : "none");
  field("semaphores", report.semaphore_fd ? std::string("opaque_fd (GL_EXT_semaphore_fd)") +
                                                (report.timeline_semaphore ? ", timeline" : "")
                                          : "none");
  field("sync mode", report.semaphore_fd && report.timeline_semaphore ? "gpu" : "cpu");
}

Json opengl_json(const OpenGlReport& report, const std::vector<DeviceIdentity>& vulkan) {
  Json j = Json::object();
  j["available"] = report.available;
  j["reason"] = report.available ? Json(nullptr) : Json(report.reason);
  j["platform"] = report.available ? Json(report.platform) : Json(nullptr);
  j["renderer"] = report.available ? Json(report.renderer) : Json(nullptr);
  j["version"] = report.available ? Json(report.version) : Json(nullptr);
  j["driver_uuid"] =
      report.identity ? Json(to_string(report.identity->driver_uuid)) : Json(nullptr);
  j["device_uuid"] =
      report.identity ? Json(to_string(report.identity->device_uuid)) : Json(nullptr);
  const auto device = matching_device(report, vulkan);
  j["vulkan_device"] = device ? Json(*device) : Json(nullptr);
  j["memory_object_fd"] = report.memory_object_fd;
  j["semaphore_fd"] = report.semaphore_fd;
  j["timeline_semaphore"] = report.timeline_semaphore;
  return j;
}

}  // namespace geyser::cli
