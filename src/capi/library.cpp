// geyser_c_api_version, formats and which APIs this build and machine have.
#include <cctype>
#include <string>

#include "apis.hpp"
#include "geyser/format.hpp"
#include "geyser/vulkan/device.hpp"
#include "status.hpp"
#ifdef GEYSER_CAPI_CUDA
#include "geyser/cuda/device.hpp"
#endif

using namespace geyser::capi;

namespace {

geyser::Result<void> format_info(geyser_format format, geyser_format_info* out) {
  GEYSER_TRY_VOID(require(out, "out"));
  GEYSER_TRY_VOID(require_size(out->struct_size, sizeof(geyser_format_info), "geyser_format_info"));
  const auto formats = geyser::all_formats();
  if (static_cast<std::size_t>(format) >= formats.size()) {
    return geyser::fail(geyser::ErrorCode::Validation,
                        "geyser_format " + std::to_string(format) + " is not a format");
  }
  const geyser::FormatInfo& info = formats[static_cast<std::size_t>(format)];
  out->name = info.name.data();
  out->texel_size = info.texel_size;
  out->channels = info.channels;
  out->vk_format = info.vk_format;
  out->gl_internal_format = info.gl_internal_format;
  return {};
}

geyser::Result<void> parse(const char* name, geyser_format* out) {
  GEYSER_TRY_VOID(require(name, "name"));
  GEYSER_TRY_VOID(require(out, "out"));
  std::string text(name);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "rgba8") text = "rgba8unorm";
  if (text == "bgra8") text = "bgra8unorm";
  const auto format = geyser::parse_format(text);
  if (!format) {
    return geyser::fail(
        geyser::ErrorCode::Validation,
        std::string("geyser_format_from_name: no format is called \"") + name + "\"");
  }
  *out = static_cast<geyser_format>(*format);
  return {};
}

geyser::Result<void> available(geyser_api api) {
  switch (api) {
    case GEYSER_API_HOST: return {};
    case GEYSER_API_VULKAN: {
      GEYSER_TRY(auto devices, geyser::vulkan::list_physical_devices());
      if (devices.empty()) {
        return geyser::fail(geyser::ErrorCode::Unsupported, "Vulkan: no physical device");
      }
      return {};
    }
    case GEYSER_API_OPENGL: return geyser::capi::opengl_available();
    case GEYSER_API_CUDA: {
#ifdef GEYSER_CAPI_CUDA
      GEYSER_TRY(auto devices, geyser::cuda::list_devices());
      if (devices.empty()) {
        return geyser::fail(geyser::ErrorCode::Unsupported, "CUDA: the driver lists no device");
      }
      return {};
#else
      return geyser::fail(geyser::ErrorCode::Unsupported,
                          "CUDA: this libgeyser was built without the CUDA toolkit");
#endif
    }
  }
  return geyser::fail(geyser::ErrorCode::Validation,
                      "geyser_api " + std::to_string(api) + " is not an API");
}

}  // namespace

extern "C" {

GEYSER_API uint32_t geyser_c_api_version(void) {
  return GEYSER_C_API_VERSION;
}

GEYSER_API geyser_status geyser_format_get_info(geyser_format format, geyser_format_info* out) {
  return guard([&] { return format_info(format, out); });
}

GEYSER_API geyser_status geyser_format_from_name(const char* name, geyser_format* out) {
  return guard([&] { return parse(name, out); });
}

GEYSER_API geyser_status geyser_api_available(geyser_api api) {
  return guard([&] { return available(api); });
}

}  // extern "C"
