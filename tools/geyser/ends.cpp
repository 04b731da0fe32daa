// The channel ends of `geyser send` and `geyser recv`: the API switch, and what --api says
// where this build lacks the backend (ends_vulkan.cpp, ends_opengl.cpp, ends_cuda.cpp and
// ends_host.cpp have the ends).
#include "ends.hpp"

#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "device_spec.hpp"

namespace geyser::cli {

std::string_view to_string(Api api) noexcept {
  switch (api) {
    case Api::OpenGL: return "opengl";
    case Api::Cuda: return "cuda";
    case Api::Host: return "host";
    case Api::Vulkan: break;
  }
  return "vulkan";
}

std::vector<std::string> api_names() {
  std::vector<std::string> names;
#ifdef GEYSER_HAVE_VULKAN_CHANNEL
  names.emplace_back("vulkan");
#endif
#ifdef GEYSER_HAVE_OPENGL_CHANNEL
  names.emplace_back("opengl");
#endif
#ifdef GEYSER_HAVE_CUDA_CHANNEL
  names.emplace_back("cuda");
#endif
  names.emplace_back("host");
  return names;
}

std::string default_api_name() {
  return api_names().front();  // vulkan first where built; host is always there
}

std::optional<Api> parse_api(std::string_view text) noexcept {
  if (text == "vulkan") return Api::Vulkan;
  if (text == "opengl") return Api::OpenGL;
  if (text == "cuda") return Api::Cuda;
  if (text == "host") return Api::Host;
  return std::nullopt;
}

namespace {

// --device for the API that cannot take one: a usage error, before anything is opened.
void refuse_device(Api api, std::string_view command, const DeviceSelector& device) {
  if (device.empty()) return;
  if (api == Api::Host) {
    exit_device_usage(command,
                      "--api host uses no GPU (frames are written to and read from shared host "
                      "memory); leave --device out",
                      /*hint_info=*/false);
  }
}

}  // namespace

std::unique_ptr<SendEnd> open_send_end(Api api, std::string_view command,
                                       const DeviceSelector& device) {
  refuse_device(api, command, device);
  switch (api) {
    case Api::OpenGL: return detail::open_opengl_send_end(command, device);
    case Api::Cuda: return detail::open_cuda_send_end(command, device);
    case Api::Host: return detail::open_host_send_end(command);
    case Api::Vulkan: break;
  }
  return detail::open_vulkan_send_end(command, device);
}

std::unique_ptr<RecvEnd> open_recv_end(Api api, std::string_view command,
                                       const DeviceSelector& device) {
  refuse_device(api, command, device);
  switch (api) {
    case Api::OpenGL: return detail::open_opengl_recv_end(command, device);
    case Api::Cuda: return detail::open_cuda_recv_end(command, device);
    case Api::Host: return detail::open_host_recv_end(command);
    case Api::Vulkan: break;
  }
  return detail::open_vulkan_recv_end(command, device);
}

namespace detail {

#ifndef GEYSER_HAVE_VULKAN_CHANNEL
std::unique_ptr<SendEnd> open_vulkan_send_end(std::string_view command, const DeviceSelector&) {
  std::cerr << "geyser " << command << ": --api vulkan: this geyser was built without the "
            << "Vulkan backend (use --api host)\n";
  return nullptr;
}
std::unique_ptr<RecvEnd> open_vulkan_recv_end(std::string_view command,
                                              const DeviceSelector& device) {
  (void)open_vulkan_send_end(command, device);
  return nullptr;
}
#endif

#ifndef GEYSER_HAVE_OPENGL_CHANNEL
std::unique_ptr<SendEnd> open_opengl_send_end(std::string_view command, const DeviceSelector&) {
  std::cerr << "geyser " << command << ": --api opengl: this geyser was built without the "
            << "OpenGL backend (libepoxy-dev was not found)\n";
  return nullptr;
}
std::unique_ptr<RecvEnd> open_opengl_recv_end(std::string_view command,
                                              const DeviceSelector& device) {
  (void)open_opengl_send_end(command, device);
  return nullptr;
}
#endif

#ifndef GEYSER_HAVE_CUDA_CHANNEL
std::unique_ptr<SendEnd> open_cuda_send_end(std::string_view command, const DeviceSelector&) {
  std::cerr << "geyser " << command << ": --api cuda: this geyser was built without the "
            << "CUDA backend (the CUDA toolkit's cuda.h was not found)\n";
  return nullptr;
}
std::unique_ptr<RecvEnd> open_cuda_recv_end(std::string_view command,
                                            const DeviceSelector& device) {
  (void)open_cuda_send_end(command, device);
  return nullptr;
}
#endif

}  // namespace detail
}  // namespace geyser::cli
