// The cross-device scenario: a probe process finds both devices (a selector that names none
// is the user's mistake, reported as such), then each size runs in processes of its own
// (cross_device_workers.cpp), and their figures become one row per mode.
#include "cross_device.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>

#include "cross_device_workers.hpp"
#include "geyser/vulkan/device_select.hpp"
#include "process.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

// What the probe hands back to the parent.
struct Probe {
  char error[1024];
  char unknown_device[1024];  // a selector named no device: the message listing them
  char skip_reason[1024];
  char name[2][256];  // 0: the sender's device, 1: the receiver device
  char driver[2][256];
  char uuid[2][40];
  std::atomic<std::uint32_t> same_device{0};
  std::atomic<std::uint32_t> ok{0};
};

// Validation when `selector` (named by `option`) matches no listed device: the probe then
// records the message and stops.
Result<bool> known_device(const DeviceSelector& selector, const char* option, Probe& probe) {
  if (selector.empty()) return true;
  GEYSER_TRY(const auto devices, vulkan::listed_devices());
  auto found = find_device(selector, devices, "Vulkan");
  if (found) return true;
  set_text(probe.unknown_device, std::string(option) + ": " + found.error().message());
  return false;
}

void record(Probe& probe, int side, const vulkan::Device& device) {
  const DeviceReport report = describe_device(device);
  set_text(probe.name[side], report.name);
  set_text(probe.driver[side], report.driver);
  set_text(probe.uuid[side], geyser::to_string(device.identity().device_uuid));
}

Result<void> probe_body(const Environment& env, const CrossDevicePlan& plan, Probe& probe) {
  GEYSER_TRY(const bool sender_known, known_device(env.device, "--device", probe));
  if (!sender_known) return {};
  const DeviceSelector& receiver_selector =
      plan.receiver_device.empty() ? env.device : plan.receiver_device;
  GEYSER_TRY(const bool receiver_known, known_device(receiver_selector, "--recv-device", probe));
  if (!receiver_known) return {};
  GEYSER_TRY(vulkan::Device sender, open_cross_device(env.device));
  GEYSER_TRY(vulkan::Device receiver, open_cross_device(receiver_selector));
  record(probe, 0, sender);
  record(probe, 1, receiver);
  probe.same_device.store(sender.identity().compatible_with(receiver.identity()) ? 1 : 0);
  if (!sender.host_pointer_import()) {
    set_text(probe.skip_reason, "the sender's device " + sender.name() +
                                    " lacks VK_EXT_external_memory_host: it cannot give "
                                    "host frames (Unsupported)");
    return {};
  }
  probe.ok.store(1, std::memory_order_release);
  return check_no_validation_messages("cross_device probe");
}

CrossDeviceInfo device_info(const Probe& probe, int side) {
  return {probe.name[side], probe.driver[side], probe.uuid[side]};
}

std::uint32_t sample_count(const CrossDevicePlan& plan, Resolution r) {
  return std::uint64_t{r.width} * r.height >= 8'000'000 ? plan.samples_4k : plan.samples;
}

// One row per mode from what the workers of one size left.
void add_rows(const CrossRun& run, const CrossShared& shared, std::vector<CrossDeviceRow>& rows) {
  for (std::size_t m = 0; m < kCrossModeCount; ++m) {
    CrossDeviceRow row;
    row.mode = kCrossModes[m];
    row.resolution = run.resolution;
    row.frame_bytes = std::uint64_t{run.resolution.width} * run.resolution.height * 4u;
    row.transfer = shared.transfer[m];
    row.sync_mode = shared.sync_mode[m];
    row.frames = shared.latency[m].count;
    row.frames_verified = shared.verified[m];
    row.bad_frames = shared.bad[m];
    row.frames_skipped = shared.skipped[m];
    row.latency_us = summarize(shared.latency[m].vector());
    rows.push_back(std::move(row));
  }
}

}  // namespace

const char* to_string(CrossMode mode) noexcept {
  return mode == CrossMode::DeviceHandoff ? "device_handoff" : "host_frames";
}

const char* to_string(CrossDeviceOutcome::Status status) noexcept {
  switch (status) {
    case CrossDeviceOutcome::Status::Ok: return "ok";
    case CrossDeviceOutcome::Status::Skipped: return "skipped";
    case CrossDeviceOutcome::Status::Failed: return "failed";
  }
  return "failed";
}

double CrossDeviceRow::gbps() const noexcept {
  const double us = latency_us.mean;
  return us > 0.0 ? static_cast<double>(frame_bytes) / (us * 1e3) : 0.0;  // bytes/ns = GB/s
}

CrossDeviceOutcome run_cross_device(const Environment& env, const CrossDevicePlan& plan) {
  CrossDeviceOutcome outcome;
  outcome.warmup = plan.warmup;
  const auto stop = [&](CrossDeviceOutcome::Status status, std::string reason) {
    outcome.status = status;
    outcome.reason = std::move(reason);
    outcome.rows.clear();
    return outcome;
  };
  const auto failed = [&](std::string reason) {
    return stop(CrossDeviceOutcome::Status::Failed, std::move(reason));
  };
  const auto bad_count = [](std::uint32_t n) { return n == 0 || n > kMaxSamples; };
  if (bad_count(plan.samples) || bad_count(plan.samples_4k)) {
    return failed("run_cross_device: samples must be 1.." + std::to_string(kMaxSamples));
  }
  auto probe_block = SharedBlock<Probe>::create();
  if (!probe_block) return failed(probe_block.error().to_string());
  Probe& probe = **probe_block;
  if (auto probed = run_worker_alone(probe.error, "cross_device probe", env.timeout,
                                     [&] { return probe_body(env, plan, probe); });
      !probed) {
    return failed(probed.error().to_string());
  }
  if (probe.unknown_device[0] != '\0') {
    outcome.unknown_device = true;
    return failed(probe.unknown_device);
  }
  outcome.sender = device_info(probe, 0);
  outcome.receiver = device_info(probe, 1);
  outcome.same_device = probe.same_device.load() != 0;
  if (probe.ok.load(std::memory_order_acquire) == 0) {
    return stop(CrossDeviceOutcome::Status::Skipped, probe.skip_reason);
  }
  for (const Resolution r : plan.resolutions) {
    auto shared = SharedBlock<CrossShared>::create();
    if (!shared) return failed(shared.error().to_string());
    const CrossRun run{r, plan.warmup, sample_count(plan, r),
                       plan.receiver_device.empty() ? env.device : plan.receiver_device,
                       outcome.same_device};
    if (auto ran = run_cross_workers(env, run, **shared); !ran) {
      return failed(r.label() + ": " + ran.error().to_string());
    }
    add_rows(run, **shared, outcome.rows);
  }
  outcome.status = CrossDeviceOutcome::Status::Ok;
  return outcome;
}

}  // namespace geyser::bench
