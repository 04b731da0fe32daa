// geyser_submit_costs: what a sender's present costs per receiver in `gpu` mode. A present
// is one vkQueueSubmit2 that signals one timeline semaphore per gpu receiver (each receiver
// has its own, so that none can disturb another: docs/protocol.md), plus the sender's own
// progress timeline; this times that submission with 1, 2, 4 and 8 signals, of exported
// semaphores (as Geyser's) and of plain ones, and vkGetSemaphoreCounterValue on one. No
// validation layer; devices that cannot export timeline semaphores skip the exported cases.
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace {

namespace vulkan = geyser::vulkan;
using Clock = std::chrono::steady_clock;

vulkan::Device* g_device = nullptr;
bool g_can_export = false;

// A timeline semaphore, exportable as an opaque fd (exported once, as a sender does for
// its receiver) or plain.
VkSemaphore make_timeline(bool exported) {
  VkExportSemaphoreCreateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
  export_info.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                 exported ? &export_info : nullptr};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
  VkSemaphore semaphore = VK_NULL_HANDLE;
  if (vkCreateSemaphore(g_device->device(), &info, nullptr, &semaphore) != VK_SUCCESS) {
    std::abort();
  }
  if (exported) {
    VkSemaphoreGetFdInfoKHR get{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
    get.semaphore = semaphore;
    get.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    if (g_device->functions().get_semaphore_fd(g_device->device(), &get, &fd) != VK_SUCCESS) {
      std::abort();
    }
    ::close(fd);
  }
  return semaphore;
}

struct Timelines {
  std::vector<VkSemaphore> semaphores;
  Timelines(std::size_t count, bool exported) {
    for (std::size_t i = 0; i < count; ++i) semaphores.push_back(make_timeline(exported));
  }
  Timelines(const Timelines&) = delete;
  Timelines& operator=(const Timelines&) = delete;
  ~Timelines() {
    (void)vkQueueWaitIdle(g_device->queue());
    for (VkSemaphore s : semaphores) vkDestroySemaphore(g_device->device(), s, nullptr);
  }
};

void signal_submit(benchmark::State& state, std::size_t count, bool exported) {
  if (exported && !g_can_export) {
    state.SkipWithError("this device exports no timeline semaphores");
    return;
  }
  Timelines timelines(count, exported);
  std::vector<VkSemaphoreSubmitInfo> signals(count, {VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO});
  std::uint64_t value = 0;
  for (auto _ : state) {
    ++value;
    for (std::size_t i = 0; i < count; ++i) {
      signals[i].semaphore = timelines.semaphores[i];
      signals[i].value = value;
      signals[i].stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    }
    VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    submit.signalSemaphoreInfoCount = static_cast<std::uint32_t>(count);
    submit.pSignalSemaphoreInfos = signals.data();
    const auto start = Clock::now();
    const VkResult r = vkQueueSubmit2(g_device->queue(), 1, &submit, VK_NULL_HANDLE);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (r != VK_SUCCESS) {
      state.SkipWithError("vkQueueSubmit2 failed");
      break;
    }
    // Each submission onto an idle queue, as a sender's present mostly is; not timed.
    (void)vkQueueWaitIdle(g_device->queue());
  }
  state.counters["signals"] = static_cast<double>(count);
}

void counter_value(benchmark::State& state, bool exported) {
  if (exported && !g_can_export) {
    state.SkipWithError("this device exports no timeline semaphores");
    return;
  }
  Timelines timeline(1, exported);
  for (auto _ : state) {
    std::uint64_t value = 0;
    const auto start = Clock::now();
    (void)vkGetSemaphoreCounterValue(g_device->device(), timeline.semaphores[0], &value);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    benchmark::DoNotOptimize(value);
  }
}

void register_all() {
  for (const bool exported : {true, false}) {
    const std::string kind = exported ? "exported" : "plain";
    for (const std::size_t count : {1u, 2u, 4u, 8u, 9u}) {
      const std::string name = "QueueSubmit2Signal/" + kind + "/" + std::to_string(count);
      benchmark::RegisterBenchmark(name.c_str(), signal_submit, count, exported)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.2);
    }
    const std::string name = "GetSemaphoreCounterValue/" + kind;
    benchmark::RegisterBenchmark(name.c_str(), counter_value, exported)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  auto device = vulkan::Device::create_headless(vulkan::HeadlessOptions{.validation = false});
  if (!device) {
    std::fprintf(stderr, "geyser_submit_costs: %s\n", device.error().to_string().c_str());
    return 1;
  }
  g_device = &*device;
  g_can_export = vulkan::VulkanTextureShareManager(*device).sync_capabilities().timeline_export;
  std::printf("device: %s; exportable timeline semaphores: %s\n", device->name().c_str(),
              g_can_export ? "yes" : "no");
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_device = nullptr;
  return 0;
}
