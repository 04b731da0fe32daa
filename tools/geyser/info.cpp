// `geyser info`: what Geyser can share on each Vulkan device of this machine.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vulkan/vulkan.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"
#include "geyser/format.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "info_cuda.hpp"
#include "info_opengl.hpp"
#include "json.hpp"

namespace geyser::cli {
namespace {

// The name docs/cli.md uses for VK_EXTERNAL_{MEMORY,SEMAPHORE}_HANDLE_TYPE_OPAQUE_FD_BIT.
constexpr std::string_view kOpaqueFd = "opaque_fd";

struct InfoOptions {
  bool json = false;
};

// ---------------------------------------------------------------------------------------
// Semaphores. Kept apart from the rest: the sync work refines what is queried here
// (per-type export support, the sync mode negotiated per connection).

/// Which semaphores a device can export, and the sync mode (docs/architecture.md, rule 5) that
/// follows.
struct SemaphoreSupport {
  std::vector<std::string> handle_types;     ///< "opaque_fd"
  std::vector<std::string> semaphore_types;  ///< "binary", "timeline"
  std::string sync_mode;                     ///< "gpu" or "cpu"
};

SemaphoreSupport query_semaphore_support(const vulkan::VulkanTextureShareManager& manager) {
  SemaphoreSupport support;
  for (SemaphoreType type : {SemaphoreType::Binary, SemaphoreType::Timeline}) {
    const vulkan::SemaphoreCapability cap = manager.query_semaphore(type);
    if (cap.exportable && cap.importable) support.semaphore_types.emplace_back(to_string(type));
  }
  if (!support.semaphore_types.empty()) support.handle_types.emplace_back(kOpaqueFd);
  // The mode two processes on this device would negotiate (GEYSER_SYNC applies).
  const SyncCapabilities caps = manager.sync_capabilities();
  const auto mode = choose_sync_mode(caps, caps);
  support.sync_mode = mode ? std::string(to_string(*mode)) : "cpu";
  return support;
}

std::string semaphore_line(const SemaphoreSupport& support) {
  std::string line = "exportable semaphores: ";
  if (support.handle_types.empty()) return line + "none (sync mode: " + support.sync_mode + ")";
  for (std::size_t i = 0; i < support.handle_types.size(); ++i) {
    if (i > 0) line += ", ";
    line += support.handle_types[i];
  }
  line += " (";
  for (std::size_t i = 0; i < support.semaphore_types.size(); ++i) {
    if (i > 0) line += ", ";
    line += support.semaphore_types[i];
  }
  return line + ") (sync mode: " + support.sync_mode + ")";
}

// ---------------------------------------------------------------------------------------
// Gathering.

/// What `geyser info` reports about one physical device.
struct DeviceReport {
  vulkan::PhysicalDeviceSummary summary;
  /// Set when the device lacks nothing but Device::create_headless failed on it anyway.
  std::optional<Error> open_error;
  std::vector<std::string> memory_handle_types;
  std::optional<SemaphoreSupport> semaphores;  ///< known only for usable devices
  std::vector<vulkan::FormatCapability> formats;

  [[nodiscard]] bool usable() const noexcept {
    return summary.missing_extensions.empty() && !open_error;
  }
};

DeviceReport gather(vulkan::PhysicalDeviceSummary summary) {
  DeviceReport report{std::move(summary), std::nullopt, {}, std::nullopt, {}};
  if (!report.summary.missing_extensions.empty()) return report;
  report.memory_handle_types.emplace_back(kOpaqueFd);

  vulkan::HeadlessOptions options;
  options.device_index = report.summary.index;
  auto device = vulkan::Device::create_headless(options);
  if (!device) {
    report.open_error = std::move(device).error();
    return report;
  }
  // The manager only refers to the device; both go out of scope here, manager first.
  const vulkan::VulkanTextureShareManager manager(*device);
  report.semaphores = query_semaphore_support(manager);
  report.formats = manager.query_formats();
  return report;
}

// ---------------------------------------------------------------------------------------
// Small conversions shared by both outputs.

std::string_view type_name(VkPhysicalDeviceType type) noexcept {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete_gpu";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated_gpu";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual_gpu";
    default: return "other";
  }
}

std::string api_version_string(std::uint32_t version) {
  return std::to_string(VK_API_VERSION_MAJOR(version)) + "." +
         std::to_string(VK_API_VERSION_MINOR(version)) + "." +
         std::to_string(VK_API_VERSION_PATCH(version));
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
  std::string out;
  for (const auto item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

/// Why a device cannot be used, for people.
std::string unusable_reason(const DeviceReport& report) {
  if (!report.summary.missing_extensions.empty())
    return "missing " + join(report.summary.missing_extensions, ", ");
  if (report.open_error) return report.open_error->to_string();
  return {};
}

// ---------------------------------------------------------------------------------------
// Human output.

void print_formats(std::ostream& out, const std::vector<vulkan::FormatCapability>& formats) {
  std::size_t name_width = std::string_view("format").size();
  for (const auto& cap : formats) name_width = std::max(name_width, to_string(cap.format).size());
  name_width += 2;

  const auto row = [&](std::string_view name, std::string_view exp, std::string_view imp,
                       std::string_view usages) {
    out << "    " << std::left << std::setw(static_cast<int>(name_width)) << name << std::setw(8)
        << exp << std::setw(8) << imp << usages << '\n';
  };
  row("format", "export", "import", "usages");
  for (const auto& cap : formats) {
    const auto usages = usage_names(cap.usages);
    row(to_string(cap.format), cap.exportable ? "yes" : "no", cap.importable ? "yes" : "no",
        usages.empty() ? std::string("-") : join(usages, ", "));
  }
}

void print_device(std::ostream& out, const DeviceReport& report) {
  const auto& s = report.summary;
  // Keys padded to the longest one, "exportable semaphores:".
  const auto field = [&](std::string_view key, std::string_view value) {
    out << "  " << std::left << std::setw(23) << (std::string(key) + ":") << value << '\n';
  };
  out << "Device " << s.index << ": " << s.name << '\n';
  field("type", type_name(s.type));
  field("API version", api_version_string(s.api_version));
  field("driver name", s.driver_name);
  field("driver info", s.driver_info);
  field("driver UUID", to_string(s.identity.driver_uuid));
  field("device UUID", to_string(s.identity.device_uuid));
  field("usable", report.usable() ? "yes" : "no (" + unusable_reason(report) + ")");
  if (!s.missing_extensions.empty()) {
    field("memory handle types", "none (missing " + join(s.missing_extensions, ", ") + ")");
  } else {
    field("memory handle types", join(report.memory_handle_types, ", "));
  }
  if (report.semaphores) out << "  " << semaphore_line(*report.semaphores) << '\n';
  if (!report.formats.empty()) {
    out << "  formats:\n";
    print_formats(out, report.formats);
  }
}

void print_human(std::ostream& out, const std::vector<DeviceReport>& reports) {
  out << "geyser " << GEYSER_VERSION << ", " << reports.size() << " Vulkan device"
      << (reports.size() == 1 ? "" : "s") << "\n";
  for (const auto& report : reports) {
    out << '\n';
    print_device(out, report);
  }
}

// ---------------------------------------------------------------------------------------
// JSON output: the shape docs/cli.md documents, field for field and in that order.

Json format_json(const vulkan::FormatCapability& cap) {
  Json j = Json::object();
  j["format"] = std::string(to_string(cap.format));
  j["export"] = cap.exportable;
  j["import"] = cap.importable;
  j["dedicated_only"] = cap.dedicated_only;
  j["usages"] = string_array(usage_names(cap.usages));
  j["max_width"] = cap.max_width;
  j["max_height"] = cap.max_height;
  return j;
}

Json device_json(const DeviceReport& report) {
  const auto& s = report.summary;
  Json j = Json::object();
  j["index"] = s.index;
  j["name"] = s.name;
  j["type"] = std::string(type_name(s.type));
  j["api_version"] = api_version_string(s.api_version);
  j["driver_name"] = s.driver_name;
  j["driver_info"] = s.driver_info;
  j["driver_uuid"] = to_string(s.identity.driver_uuid);
  j["device_uuid"] = to_string(s.identity.device_uuid);
  j["usable"] = report.usable();
  j["missing_extensions"] = string_array(s.missing_extensions);
  j["memory_handle_types"] = string_array(report.memory_handle_types);
  j["semaphore_handle_types"] = string_array(report.semaphores ? report.semaphores->handle_types
                                                               : std::vector<std::string>{});
  j["semaphore_types"] = string_array(report.semaphores ? report.semaphores->semaphore_types
                                                        : std::vector<std::string>{});
  j["sync_mode"] = report.semaphores ? report.semaphores->sync_mode : std::string("none");
  Json formats = Json::array();
  for (const auto& cap : report.formats) formats.push_back(format_json(cap));
  j["formats"] = std::move(formats);
  return j;
}

std::vector<DeviceIdentity> identities(const std::vector<DeviceReport>& reports) {
  std::vector<DeviceIdentity> out;
  for (const auto& report : reports) out.push_back(report.summary.identity);
  return out;
}

void print_json(std::ostream& out, const std::vector<DeviceReport>& reports, const OpenGlReport& gl,
                const CudaReport& cuda) {
  Json root = Json::object();
  root["geyser_version"] = GEYSER_VERSION;
  Json devices = Json::array();
  for (const auto& report : reports) devices.push_back(device_json(report));
  root["devices"] = std::move(devices);
  root["opengl"] = opengl_json(gl, identities(reports));
  root["cuda"] = cuda_json(cuda, identities(reports));
  write_json(out, root);
}

// ---------------------------------------------------------------------------------------

int run_info(const InfoOptions& options) {
  auto summaries = vulkan::list_physical_devices();
  if (!summaries) {
    std::cerr << "geyser info: " << summaries.error().to_string() << '\n'
              << vulkan_driver_hint() << '\n';
    return kExitRuntimeError;
  }

  std::vector<DeviceReport> reports;
  reports.reserve(summaries->size());
  for (auto& summary : *summaries) reports.push_back(gather(std::move(summary)));

  const OpenGlReport gl = gather_opengl();
  const CudaReport cuda = gather_cuda();
  // stdout carries the report even when nothing is usable, so that scripts can read why.
  if (options.json) {
    print_json(std::cout, reports, gl, cuda);
  } else {
    print_human(std::cout, reports);
    print_opengl(std::cout, gl, identities(reports));
    print_cuda(std::cout, cuda, identities(reports));
  }
  std::cout.flush();

  if (reports.empty()) {
    std::cerr << "geyser info: the Vulkan loader reports no physical device\n"
              << vulkan_driver_hint() << '\n';
    return kExitRuntimeError;
  }
  const bool any_usable =
      std::any_of(reports.begin(), reports.end(), [](const DeviceReport& r) { return r.usable(); });
  if (!any_usable) {
    std::cerr << "geyser info: no usable Vulkan device\n";
    for (const auto& report : reports) {
      std::cerr << "  device " << report.summary.index << " (" << report.summary.name
                << "): " << unusable_reason(report) << '\n';
    }
    return kExitRuntimeError;
  }
  // A device that lacks nothing but failed to open is worth a warning even when another
  // device works: it usually means a broken driver install.
  for (const auto& report : reports) {
    if (report.open_error) {
      std::cerr << "geyser info: warning: device " << report.summary.index << " ("
                << report.summary.name << "): " << report.open_error->to_string() << '\n';
    }
  }
  return kExitOk;
}

}  // namespace

void register_info(CLI::App& app, Action& action) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* info = app.add_subcommand(
      "info", "Show the Vulkan devices, which texture formats each can share, and OpenGL");
  info->add_flag("--json", options->json,
                 "Print one JSON document instead of text (fields: docs/cli.md)");
  info->footer("Exit codes: 0 ok, 1 no usable device or a failed call, 2 usage error.");
  info->callback([options, &action] { action = [options] { return run_info(*options); }; });
}

}  // namespace geyser::cli
