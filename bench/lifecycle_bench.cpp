// geyser_benchmarks: the lifecycle of a shared texture (create, export, import, release)
// through Geyser, beside the same raw Vulkan calls without it, on one headless device with
// validation off. After the Google Benchmark output it prints the overhead ratio of every
// pair (Geyser time / raw time), both measured in the same run.
//
// Only the operation itself is timed (manual timing): whatever an iteration needs before
// (a texture to export, a fresh fd to import) or after (destroying what it made) is not.
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace {

using geyser::TextureDescriptor;
using geyser::TextureFormat;
namespace vulkan = geyser::vulkan;
using Clock = std::chrono::steady_clock;

vulkan::Device* g_device = nullptr;

// Times one call into `state` as the iteration's manual time.
template <typename F>
void timed(benchmark::State& state, F&& f) {
  const auto start = Clock::now();
  f();
  state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
}

template <typename T>
T must(geyser::Result<T> result, benchmark::State& state, const char* what) {
  if (!result) {
    state.SkipWithError((std::string(what) + ": " + result.error().to_string()).c_str());
    std::fprintf(stderr, "%s: %s\n", what, result.error().to_string().c_str());
    std::abort();  // a broken setup: no figure would mean anything
  }
  return std::move(result).value();
}

// --- The raw Vulkan path: what an application writes without Geyser, for the same image.

struct RawTexture {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  std::uint32_t memory_type = 0;
};

VkImage raw_image(const TextureDescriptor& desc) {
  VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
  external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, &external};
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = static_cast<VkFormat>(geyser::format_info(desc.format).vk_format);
  info.extent = {desc.width, desc.height, 1};
  info.mipLevels = 1;
  info.arrayLayers = 1;
  info.samples = VK_SAMPLE_COUNT_1_BIT;
  info.tiling = VK_IMAGE_TILING_OPTIMAL;
  info.usage = vulkan::to_vk_usage(desc.usage);
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  VkImage image = VK_NULL_HANDLE;
  if (vkCreateImage(g_device->device(), &info, nullptr, &image) != VK_SUCCESS) std::abort();
  return image;
}

RawTexture raw_create(const TextureDescriptor& desc) {
  const VkDevice device = g_device->device();
  RawTexture t;
  t.image = raw_image(desc);
  VkMemoryRequirements reqs{};
  vkGetImageMemoryRequirements(device, t.image, &reqs);
  const auto& props = g_device->memory_properties();
  t.memory_type = 0;
  for (std::uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    if (reqs.memoryTypeBits & (1u << i)) {
      t.memory_type = i;
      if (props.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) break;
    }
  }
  VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
  dedicated.image = t.image;
  VkExportMemoryAllocateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, &dedicated};
  export_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &export_info};
  alloc.allocationSize = reqs.size;
  alloc.memoryTypeIndex = t.memory_type;
  if (vkAllocateMemory(device, &alloc, nullptr, &t.memory) != VK_SUCCESS) std::abort();
  if (vkBindImageMemory(device, t.image, t.memory, 0) != VK_SUCCESS) std::abort();
  t.size = reqs.size;
  return t;
}

int raw_export(const RawTexture& t) {
  VkMemoryGetFdInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
  info.memory = t.memory;
  info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  int fd = -1;
  if (g_device->functions().get_memory_fd(g_device->device(), &info, &fd) != VK_SUCCESS) {
    std::abort();
  }
  return fd;
}

// Consumes `fd` (the driver owns it on success).
RawTexture raw_import(const TextureDescriptor& desc, const RawTexture& from, int fd) {
  RawTexture t;
  t.image = raw_image(desc);
  VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
  dedicated.image = t.image;
  VkImportMemoryFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR, &dedicated};
  import.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  import.fd = fd;
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &import};
  alloc.allocationSize = from.size;
  alloc.memoryTypeIndex = from.memory_type;
  if (vkAllocateMemory(g_device->device(), &alloc, nullptr, &t.memory) != VK_SUCCESS) std::abort();
  if (vkBindImageMemory(g_device->device(), t.image, t.memory, 0) != VK_SUCCESS) std::abort();
  return t;
}

void raw_release(RawTexture& t) {
  vkDestroyImage(g_device->device(), t.image, nullptr);
  vkFreeMemory(g_device->device(), t.memory, nullptr);
  t = {};
}

// --- The benchmarks.

enum class Op { Create, Export, Import, Release, ReleaseImport };
const char* to_string(Op op) {
  switch (op) {
    case Op::Create: return "Create";
    case Op::Export: return "Export";
    case Op::Import: return "Import";
    case Op::Release: return "Release";
    default: return "ReleaseImport";
  }
}

void geyser_op(benchmark::State& state, Op op, TextureDescriptor desc) {
  vulkan::VulkanTextureShareManager manager(*g_device);
  auto texture = must(manager.create(desc), state, "create");
  auto handle = must(manager.export_texture(*texture), state, "export_texture");
  for (auto _ : state) {
    switch (op) {
      case Op::Create: {
        std::unique_ptr<vulkan::VulkanSharedTexture> made;
        timed(state, [&] { made = must(manager.create(desc), state, "create"); });
        break;
      }
      case Op::Export: {
        geyser::TextureShareHandle exported;
        timed(state, [&] { exported = must(manager.export_texture(*texture), state, "export"); });
        break;
      }
      case Op::Import: {
        std::unique_ptr<vulkan::VulkanSharedTexture> imported;
        timed(state, [&] { imported = must(manager.import(handle), state, "import"); });
        break;
      }
      case Op::Release: {
        auto made = must(manager.create(desc), state, "create");
        timed(state, [&] { made.reset(); });
        break;
      }
      case Op::ReleaseImport: {
        auto imported = must(manager.import(handle), state, "import");
        timed(state, [&] { imported.reset(); });
        break;
      }
    }
  }
}

void raw_op(benchmark::State& state, Op op, TextureDescriptor desc) {
  RawTexture texture = raw_create(desc);
  for (auto _ : state) {
    switch (op) {
      case Op::Create: {
        RawTexture made;
        timed(state, [&] { made = raw_create(desc); });
        raw_release(made);
        break;
      }
      case Op::Export: {
        int fd = -1;
        timed(state, [&] { fd = raw_export(texture); });
        ::close(fd);
        break;
      }
      case Op::Import: {
        // Each import consumes an fd, as one received from another process would be.
        const int fd = raw_export(texture);
        RawTexture imported;
        timed(state, [&] { imported = raw_import(desc, texture, fd); });
        raw_release(imported);
        break;
      }
      case Op::Release: {
        RawTexture made = raw_create(desc);
        timed(state, [&] { raw_release(made); });
        break;
      }
      case Op::ReleaseImport: {
        RawTexture imported = raw_import(desc, texture, raw_export(texture));
        timed(state, [&] { raw_release(imported); });
        break;
      }
    }
  }
  raw_release(texture);
}

// Which pair each benchmark belongs to, for the ratio table.
struct PairKey {
  int order = 0;  // registration order: operation, then size, then format
  std::string op, size, format;
  auto operator<=>(const PairKey&) const = default;
};
struct PairTimes {
  double geyser_us = 0.0;
  double raw_us = 0.0;
};
std::map<std::string, std::pair<PairKey, bool>> g_names;  // name -> (pair, is_geyser)

// The console output, plus the ratio table at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const auto it = g_names.find(run.run_name.function_name);
      if (it == g_names.end()) continue;
      PairTimes& times = pairs_[it->second.first];
      (it->second.second ? times.geyser_us : times.raw_us) = run.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::ostream& out = GetOutputStream();
    out << "\nGeyser overhead over raw Vulkan (same run, real time per operation):\n";
    char line[160];
    std::snprintf(line, sizeof line, "%-14s %-10s %-12s %12s %12s %8s\n", "operation", "size",
                  "format", "geyser_us", "raw_us", "ratio");
    out << line;
    for (const auto& [key, t] : pairs_) {
      if (t.geyser_us <= 0 || t.raw_us <= 0) continue;
      std::snprintf(line, sizeof line, "%-14s %-10s %-12s %12.2f %12.2f %7.2fx\n", key.op.c_str(),
                    key.size.c_str(), key.format.c_str(), t.geyser_us, t.raw_us,
                    t.geyser_us / t.raw_us);
      out << line;
    }
  }

 private:
  std::map<PairKey, PairTimes> pairs_;
};

void register_all() {
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{256, 256}, {1920, 1080}, {3840, 2160}};
  const TextureFormat formats[] = {TextureFormat::Rgba8Unorm, TextureFormat::Rgba16Float};
  int order = 0;
  for (Op op : {Op::Create, Op::Export, Op::Import, Op::Release, Op::ReleaseImport}) {
    for (const auto& [w, h] : sizes) {
      for (TextureFormat format : formats) {
        TextureDescriptor desc;
        desc.width = w;
        desc.height = h;
        desc.format = format;
        const PairKey key{order++, to_string(op), std::to_string(w) + "x" + std::to_string(h),
                          std::string(geyser::to_string(format))};
        for (const bool geyser : {true, false}) {
          const std::string name =
              key.op + "/" + (geyser ? "geyser" : "raw") + "/" + key.size + "/" + key.format;
          g_names[name] = {key, geyser};
          auto* b = geyser ? benchmark::RegisterBenchmark(name.c_str(), geyser_op, op, desc)
                           : benchmark::RegisterBenchmark(name.c_str(), raw_op, op, desc);
          b->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.2);
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  auto device = vulkan::Device::create_headless(vulkan::HeadlessOptions{.validation = false});
  if (!device) {
    std::fprintf(stderr, "geyser_benchmarks: %s\n", device.error().to_string().c_str());
    return 1;
  }
  g_device = &*device;
  std::printf("device: %s\n", device->name().c_str());
  register_all();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  g_device = nullptr;
  return 0;
}
