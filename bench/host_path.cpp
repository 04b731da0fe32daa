// Scenario g, host_path: one Vulkan sender process publishes four channels of the same
// size, with N = 0, 1 and 4 host::Receiver processes (host frames, docs/host-frames.md) and
// one zero-copy Vulkan receiver process each, and N = 1 again from a second device of the
// same GPU made without a transfer queue, so the copy engine and the main queue are
// measured side by side. The sender presents one frame at a time on
// each channel in turn, the order rotating every sample, and waits until every receiver of
// that channel has released it: each sample is one uncontended present, and every
// receiver gets every frame. The first and the last timed frame of each channel carry the
// test pattern, which every host receiver checks in its mapping.
#include "host_path.hpp"

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control.hpp"
#include "geyser/host/receiver.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/transfer.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "handoff_support.hpp"
#include "process.hpp"
#include "text_format.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

inline constexpr std::size_t kChannels = std::size(kHostPathChannels);
inline constexpr std::size_t kReceivers = 10;  // a Vulkan receiver per channel, 0 + 1 + 4 + 1 host

// Which channel each receiver process reads, and whether it takes host frames.
struct Role {
  std::size_t channel;
  bool host;
};
inline constexpr Role kRoles[kReceivers] = {{0, false}, {1, false}, {1, true}, {2, false},
                                            {2, true},  {2, true},  {2, true}, {2, true},
                                            {3, false}, {3, true}};

// What the probe hands back to the parent.
struct Probe {
  char error[1024];
  char skip_reason[1024];
  std::atomic<std::uint32_t> ok{0};
};

// What the workers of one size hand back to the parent.
struct Shared {
  char sender_error[1024];
  char receiver_error[kReceivers][1024];
  char unsupported[1024];  // a host receiver's connect said Unsupported
  char device[512];
  char sync_mode[16];
  // Where each channel's sender copies: "transfer" or "main".
  char copy_queue[kChannels][16];
  // The sender, per channel: present()'s wall time and its process CPU over it.
  Samples present_us[kChannels];
  std::uint64_t sender_cpu_ns[kChannels];
  // Set before each present(), read by the receivers once they have that frame.
  std::atomic<std::uint64_t> present_start[kChannels];
  // Each receiver's count of the blocking acquires it is about to enter (the sender lets
  // them all fall asleep before each present, as in the handoff scenario).
  std::atomic<std::uint32_t> blocking[kReceivers];
  Samples latency[kReceivers];     // stamp -> acquire returned
  Samples end_to_end[kReceivers];  // present() called -> acquire returned
  std::uint64_t cpu_ns[kReceivers];
  std::uint64_t skipped[kReceivers];
  std::uint64_t verified[kReceivers];
};

// One size's run.
struct RunPlan {
  Resolution resolution;
  std::uint32_t warmup = 0;
  std::uint32_t samples = 0;
  [[nodiscard]] std::uint32_t frames() const noexcept { return warmup + samples; }
  // The frames that carry the test pattern: the first and the last timed one.
  [[nodiscard]] bool verified(std::uint32_t i) const noexcept {
    return i == warmup || i + 1 == frames();
  }
};

std::string channel(const Environment& env, std::size_t c) {
  return channel_name(env, "host_path", c);
}

std::chrono::milliseconds millis(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s);
}

std::uint32_t sample_count(const HostPathPlan& plan, Resolution r) {
  return std::uint64_t{r.width} * r.height >= 8'000'000 ? plan.samples_4k : plan.samples;
}

// Whether the sender's device can copy frames into host memory. A process of its own, so
// that the workers still fork from a clean parent.
Result<void> probe_body(const Environment& env, Probe& probe) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  if (!device.host_pointer_import()) {
    set_text(probe.skip_reason, "the device " + device.name() +
                                    " lacks VK_EXT_external_memory_host: a sender on it "
                                    "cannot give host frames (Unsupported)");
    return {};
  }
  probe.ok.store(1, std::memory_order_release);
  return {};
}

Result<void> run_probe(const Environment& env, Probe& probe) {
  return run_worker_alone(probe.error, "host_path probe", env.timeout,
                          [&] { return probe_body(env, probe); });
}

Result<void> sender_body(const Environment& env, const RunPlan& plan,
                         std::span<const UniqueFd* const, kReceivers> ctl, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  GEYSER_TRY(vulkan::Device main_only, make_device(env, /*transfer_queue=*/false));
  const DeviceReport report = describe_device(device);
  set_text(shared.device, report.name + " (" + report.driver + ")");
  const auto timeout = millis(env.timeout);
  const TextureDescriptor desc{.width = plan.resolution.width, .height = plan.resolution.height};
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));

  std::optional<vulkan::Sender> senders[kChannels];
  for (std::size_t c = 0; c < kChannels; ++c) {
    channel::SenderOptions options;
    options.runtime_dir = env.runtime_dir;
    const vulkan::Device& on = kHostPathChannels[c].transfer_queue ? device : main_only;
    set_text(shared.copy_queue[c], on.transfer_queue() != nullptr ? "transfer" : "main");
    GEYSER_TRY(vulkan::Sender sender, vulkan::Sender::publish(on, channel(env, c), desc, options));
    senders[c].emplace(std::move(sender));
  }
  // Each channel's receivers connect, then take a first frame, untimed, so that the timed
  // ones find every resource imported and the ring grown to its size for them.
  for (std::size_t c = 0; c < kChannels; ++c) {
    vulkan::Sender& sender = *senders[c];
    for (std::size_t r = 0; r < kReceivers; ++r) {
      if (kRoles[r].channel != c) continue;
      GEYSER_TRY_VOID(send_ctl(*ctl[r], Ctl::Connect, static_cast<std::uint32_t>(c)));
    }
    const std::uint32_t hosts = kHostPathChannels[c].host_receivers;
    const auto deadline = std::chrono::steady_clock::now() + env.timeout;
    for (;;) {
      const channel::SenderStats stats = sender.stats();
      if (stats.receivers == hosts + 1 && stats.host_receivers == hosts) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::Timeout, "host_path: " + std::to_string(stats.receivers) +
                                            " receivers (" + std::to_string(stats.host_receivers) +
                                            " host) connected to " + sender.name() + ", expected " +
                                            std::to_string(hosts + 1));
      }
      GEYSER_TRY_VOID(sender.poll(5ms));
    }
    GEYSER_TRY(vulkan::SenderFrame first, sender.acquire(timeout));
    GEYSER_TRY_VOID(sender.present(first));
    for (std::size_t r = 0; r < kReceivers; ++r) {
      if (kRoles[r].channel != c) continue;
      GEYSER_TRY_VOID(receive_ctl(*ctl[r], Ctl::Connected, timeout));
    }
    GEYSER_TRY_VOID(sender.poll(0ms));
  }

  std::uint32_t waits[kReceivers] = {};
  for (std::uint32_t i = 0; i < plan.frames(); ++i) {
    for (std::size_t j = 0; j < kChannels; ++j) {
      // The order rotates every sample, so that no channel always follows another.
      const std::size_t c = (i + j) % kChannels;
      vulkan::Sender& sender = *senders[c];
      for (std::size_t r = 0; r < kReceivers; ++r) {
        if (kRoles[r].channel != c) continue;
        GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking[r], ++waits[r], timeout));
      }
      GEYSER_TRY(vulkan::SenderFrame frame, sender.acquire(timeout));
      if (plan.verified(i)) {
        // Untimed, and finished (upload waits for its copy) before present() is timed.
        fill_test_pattern(pixels, desc.width, desc.height, 4, frame.frame);
        if (auto uploaded = vulkan::upload(*frame.texture, pixels); !uploaded) {
          sender.cancel(frame);
          return tl::unexpected(uploaded.error());
        }
      }
      const std::uint64_t cpu_start = process_cpu_ns();
      const std::uint64_t start = monotonic_ns();
      shared.present_start[c].store(start, std::memory_order_release);
      GEYSER_TRY_VOID(sender.present(frame));
      const std::uint64_t end = monotonic_ns();
      const std::uint64_t cpu_end = process_cpu_ns();
      if (i >= plan.warmup) {
        shared.present_us[c].push(micros(start, end));
        shared.sender_cpu_ns[c] += cpu_end - cpu_start;
      }
      // Every receiver of the channel has this frame and gave it back before the next
      // present on it.
      for (std::size_t r = 0; r < kReceivers; ++r) {
        if (kRoles[r].channel != c) continue;
        GEYSER_TRY_VOID(receive_ctl(*ctl[r], Ctl::Released, timeout));
      }
      GEYSER_TRY_VOID(sender.poll(0ms));
    }
  }
  // The receivers disconnect first, so that the senders' teardown is not timed by anyone.
  for (std::size_t r = 0; r < kReceivers; ++r) {
    for (;;) {
      auto done = receive_ctl(*ctl[r], Ctl::Done, 10ms);
      if (done) break;
      if (done.error().code() != ErrorCode::Timeout) return tl::unexpected(done.error());
      for (auto& sender : senders) GEYSER_TRY_VOID(sender->poll(0ms));
    }
  }
  return {};
}

// What a receiver's acquire got: the frame, the sender's stamp and when acquire returned.
struct Got {
  std::uint64_t frame = 0;
  std::uint64_t stamp_ns = 0;
  std::uint64_t arrived_ns = 0;
};

// The frames of receiver `r`: `acquire` takes one, `check` checks the held frame `f`
// against the test pattern, `release` gives it back. The checks are neither timed nor
// counted in the CPU per frame.
template <typename Acquire, typename Check, typename Release>
Result<void> receive_frames(const RunPlan& plan, const UniqueFd& ctl, Shared& shared, std::size_t r,
                            Acquire&& acquire, Check&& check, Release&& release) {
  const std::size_t c = kRoles[r].channel;
  std::uint64_t last = 0;
  for (std::uint32_t i = 0; i < plan.frames(); ++i) {
    const bool timed = i >= plan.warmup;
    const std::uint64_t cpu_start = process_cpu_ns();
    shared.blocking[r].fetch_add(1, std::memory_order_release);
    GEYSER_TRY(const Got got, acquire());
    const std::uint64_t cpu_acquired = process_cpu_ns();
    if (timed) {
      shared.latency[r].push(micros(got.stamp_ns, got.arrived_ns));
      const std::uint64_t start = shared.present_start[c].load(std::memory_order_acquire);
      shared.end_to_end[r].push(micros(start, got.arrived_ns));
      if (got.frame > last + 1) shared.skipped[r] += got.frame - last - 1;
    }
    last = got.frame;
    if (plan.verified(i)) {
      GEYSER_TRY_VOID(check(got.frame));
      ++shared.verified[r];
    }
    const std::uint64_t cpu_checked = process_cpu_ns();
    GEYSER_TRY_VOID(release());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
    if (timed) shared.cpu_ns[r] += (cpu_acquired - cpu_start) + (process_cpu_ns() - cpu_checked);
  }
  return {};
}

Result<void> vulkan_receiver_body(const Environment& env, const RunPlan& plan, std::size_t r,
                                  const UniqueFd& ctl, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  options.transfer = TransferRequest::Device;  // zero-copy, whatever the host receivers do
  std::optional<vulkan::Receiver> receiver;
  GEYSER_TRY(vulkan::Receiver connected,
             vulkan::Receiver::connect(device, channel(env, connect.arg), timeout, options));
  receiver.emplace(std::move(connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));  // the sender's connection frame
  GEYSER_TRY_VOID(receiver->release());
  if (receiver->stats().transfer != Transfer::Device) {
    return fail(ErrorCode::Internal, "host_path: the Vulkan receiver got " +
                                         std::string(to_string(receiver->stats().transfer)) +
                                         " frames, expected device (zero-copy)");
  }
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  GEYSER_TRY_VOID(receive_frames(
      plan, ctl, shared, r,
      [&]() -> Result<Got> {
        // As the handoff scenario: a receiver that records its own reads, so acquire
        // submits nothing.
        GEYSER_TRY(vulkan::ReceivedFrame frame,
                   receiver->acquire(timeout, channel::ReadSubmission::Application));
        const std::uint64_t arrived = monotonic_ns();
        return Got{frame.frame, frame.timestamp_ns, arrived};
      },
      [](std::uint64_t) -> Result<void> { return {}; },  // the host receivers check
      [&] { return receiver->release(); }));
  if (r == 0) set_text(shared.sync_mode, to_string(receiver->stats().sync_mode));
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

// The held host frame against the test pattern of frame `f`.
Result<void> check_host_frame(const host::HostFrame& frame, std::uint64_t f) {
  if (frame.format != TextureFormat::Rgba8Unorm || frame.frame != f) {
    return fail(ErrorCode::Internal, "host_path: checking frame " + std::to_string(f) +
                                         " but frame " + std::to_string(frame.frame) +
                                         " is held, or not RGBA8");
  }
  const std::size_t tight = std::size_t{frame.width} * 4u;
  std::vector<std::uint8_t> packed;
  std::span<const std::uint8_t> texels;
  if (frame.row_pitch == tight) {
    texels = {reinterpret_cast<const std::uint8_t*>(frame.bytes.data()), tight * frame.height};
  } else {
    packed = frame.packed();
    texels = packed;
  }
  if (auto mismatch = check_test_pattern(texels, frame.width, frame.height, 4, f)) {
    return fail(ErrorCode::Internal,
                "host_path: host frame " + std::to_string(f) + " (" + std::to_string(frame.width) +
                    "x" + std::to_string(frame.height) +
                    ") does not match the test pattern: " + mismatch->to_string());
  }
  return {};
}

Result<void> host_receiver_body(const Environment& env, const RunPlan& plan, std::size_t r,
                                const UniqueFd& ctl, Shared& shared) {
  // No device: host frames need none.
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  auto connected = host::Receiver::connect(channel(env, connect.arg), timeout, options);
  if (!connected) {
    if (connected.error().code() == ErrorCode::Unsupported) {
      set_text(shared.unsupported, connected.error().to_string());
    }
    return tl::unexpected(connected.error());
  }
  std::optional<host::Receiver> receiver;
  receiver.emplace(std::move(*connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));  // the sender's connection frame
  GEYSER_TRY_VOID(receiver->release());
  if (receiver->stats().transfer != Transfer::Host) {
    return fail(ErrorCode::Internal, "host_path: the host receiver got " +
                                         std::string(to_string(receiver->stats().transfer)) +
                                         " frames, expected host");
  }
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  host::HostFrame held;
  GEYSER_TRY_VOID(receive_frames(
      plan, ctl, shared, r,
      [&]() -> Result<Got> {
        GEYSER_TRY(held, receiver->acquire(timeout));
        const std::uint64_t arrived = monotonic_ns();
        return Got{held.frame, held.timestamp_ns, arrived};
      },
      [&](std::uint64_t f) { return check_host_frame(held, f); },
      [&] { return receiver->release(); }));
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

// The sender and the ten receivers, each joined to the sender by a socket pair of its
// own.
Result<void> run_workers(const Environment& env, const RunPlan& plan, Shared& shared) {
  std::pair<UniqueFd, UniqueFd> pairs[kReceivers];
  for (auto& pair : pairs) {
    GEYSER_TRY(pair, ipc::socket_pair());
  }
  Children children;
  // Each child closes the ends that are not its own, so that a worker that dies ends the
  // others' waits with EOF.
  children.spawn([&] {
    const UniqueFd* ctl[kReceivers];
    for (std::size_t r = 0; r < kReceivers; ++r) {
      pairs[r].second.reset();
      ctl[r] = &pairs[r].first;
    }
    return run_worker(shared.sender_error, "host_path sender",
                      [&] { return sender_body(env, plan, ctl, shared); });
  });
  for (std::size_t r = 0; r < kReceivers; ++r) {
    children.spawn([&, r] {
      for (std::size_t m = 0; m < kReceivers; ++m) {
        pairs[m].first.reset();
        if (m != r) pairs[m].second.reset();
      }
      const std::string role = std::string("host_path ") + (kRoles[r].host ? "host" : "vulkan") +
                               " receiver " + std::to_string(r) + " (channel " +
                               std::to_string(kRoles[r].channel) + ")";
      return run_worker(shared.receiver_error[r], role.c_str(), [&]() -> Result<void> {
        if (kRoles[r].host) return host_receiver_body(env, plan, r, pairs[r].second, shared);
        return vulkan_receiver_body(env, plan, r, pairs[r].second, shared);
      });
    });
  }
  for (auto& pair : pairs) {
    pair.first.reset();
    pair.second.reset();
  }
  auto waited = children.wait(env.timeout);
  if (!waited) {
    std::string why = waited.error().message();
    if (shared.sender_error[0] != '\0') why += " " + std::string(shared.sender_error);
    for (const char* text : shared.receiver_error) {
      if (text[0] != '\0') why += " " + std::string(text);
    }
    return fail(ErrorCode::Internal, why);
  }
  return {};
}

// The figures of one size from what its workers left.
HostPathSize size_result(const RunPlan& plan, const Shared& shared) {
  HostPathSize size;
  size.resolution = plan.resolution;
  size.frame_bytes = std::uint64_t{plan.resolution.width} * plan.resolution.height * 4u;
  size.samples = plan.samples;
  const double frames = plan.samples > 0 ? static_cast<double>(plan.samples) : 1.0;
  for (std::size_t c = 0; c < kChannels; ++c) {
    HostPathRow row;
    row.host_receivers = kHostPathChannels[c].host_receivers;
    row.copy_queue = shared.copy_queue[c];
    row.present_us = summarize(shared.present_us[c].vector());
    row.sender_cpu_us_per_frame = static_cast<double>(shared.sender_cpu_ns[c]) / 1000.0 / frames;
    std::vector<double> latency;
    std::vector<double> end_to_end;
    std::uint64_t host_cpu_ns = 0;
    for (std::size_t r = 0; r < kReceivers; ++r) {
      if (kRoles[r].channel != c) continue;
      row.frames_skipped += shared.skipped[r];
      if (!kRoles[r].host) {
        row.vulkan_latency_us = summarize(shared.latency[r].vector());
        continue;
      }
      const std::vector<double> l = shared.latency[r].vector();
      const std::vector<double> e = shared.end_to_end[r].vector();
      latency.insert(latency.end(), l.begin(), l.end());
      end_to_end.insert(end_to_end.end(), e.begin(), e.end());
      host_cpu_ns += shared.cpu_ns[r];
      row.frames_verified += shared.verified[r];
    }
    row.host_latency_us = summarize(std::move(latency));
    row.host_end_to_end_us = summarize(std::move(end_to_end));
    if (row.host_receivers > 0) {
      row.host_cpu_us_per_frame =
          static_cast<double>(host_cpu_ns) / 1000.0 / frames / row.host_receivers;
    }
    size.rows.push_back(row);
  }
  return size;
}

const CopyRow* copy_row(const std::vector<CopyRow>* copies, Resolution r) {
  if (copies == nullptr) return nullptr;
  for (const CopyRow& row : *copies) {
    if (row.resolution.width == r.width && row.resolution.height == r.height) return &row;
  }
  return nullptr;
}

void write_row(JsonWriter& json, const HostPathRow& row) {
  json.begin_object();
  json.integer("host_receivers", row.host_receivers);
  json.string("copy_queue", row.copy_queue);
  json.number("present_p50_us", row.present_us.p50);
  json.number("present_p99_us", row.present_us.p99);
  json.number("sender_cpu_us_per_frame", row.sender_cpu_us_per_frame);
  write_summary(json, "present_us", row.present_us);
  if (row.host_receivers > 0) {
    json.number("host_p50_us", row.host_latency_us.p50);
    json.number("host_p99_us", row.host_latency_us.p99);
    write_summary(json, "host_latency_us", row.host_latency_us);
    write_summary(json, "host_end_to_end_us", row.host_end_to_end_us);
    json.number("host_cpu_us_per_frame", row.host_cpu_us_per_frame);
    json.integer("frames_verified", row.frames_verified);
  }
  json.number("vulkan_p50_us", row.vulkan_latency_us.p50);
  json.number("vulkan_p99_us", row.vulkan_latency_us.p99);
  write_summary(json, "vulkan_latency_us", row.vulkan_latency_us);
  json.integer("frames_skipped", row.frames_skipped);
  json.end_object();
}

}  // namespace

const HostPathRow* HostPathSize::row(std::uint32_t host_receivers,
                                     bool main_queue_device) const noexcept {
  for (std::size_t c = 0; c < rows.size() && c < kChannels; ++c) {
    if (rows[c].host_receivers == host_receivers &&
        kHostPathChannels[c].transfer_queue != main_queue_device) {
      return &rows[c];
    }
  }
  return nullptr;
}

double HostPathSize::host_copy_us() const noexcept {
  const HostPathRow* zero = row(0);
  const HostPathRow* one = row(1);
  if (zero == nullptr || one == nullptr) return 0.0;
  const double d = one->present_us.p50 - zero->present_us.p50;
  return d > 0.0 ? d : 0.0;
}

double HostPathSize::host_copy_gbps() const noexcept {
  const double us = host_copy_us();
  return us > 0.0 ? static_cast<double>(frame_bytes) / (us * 1e3) : 0.0;  // bytes/ns = GB/s
}

double HostPathSize::present_ratio_4_vs_1() const noexcept {
  const HostPathRow* one = row(1);
  const HostPathRow* four = row(4);
  return one && four ? ratio(four->present_us.p50, one->present_us.p50) : 0.0;
}

double HostPathSize::sender_cpu_ratio_4_vs_1() const noexcept {
  const HostPathRow* one = row(1);
  const HostPathRow* four = row(4);
  return one && four ? ratio(four->sender_cpu_us_per_frame, one->sender_cpu_us_per_frame) : 0.0;
}

double HostPathSize::host_copy_ratio_4_vs_1() const noexcept {
  const HostPathRow* zero = row(0);
  const HostPathRow* four = row(4);
  const double one_part = host_copy_us();
  if (zero == nullptr || four == nullptr || one_part <= 0.0) return 0.0;
  return ratio(four->present_us.p50 - zero->present_us.p50, one_part);
}

double HostPathSize::present_ratio_transfer_vs_main() const noexcept {
  const HostPathRow* usual = row(1);
  const HostPathRow* main = row(1, true);
  return usual && main ? ratio(usual->present_us.p50, main->present_us.p50) : 0.0;
}

const char* to_string(HostPathOutcome::Status status) noexcept {
  switch (status) {
    case HostPathOutcome::Status::Ok: return "ok";
    case HostPathOutcome::Status::Skipped: return "skipped";
    case HostPathOutcome::Status::Failed: return "failed";
  }
  return "failed";
}

HostPathOutcome run_host_path(const Environment& env, const HostPathPlan& plan) {
  HostPathOutcome outcome;
  outcome.warmup = std::max(plan.warmup, kHostPathMinWarmup);
  const auto failed = [&](std::string reason) {
    outcome.status = HostPathOutcome::Status::Failed;
    outcome.reason = std::move(reason);
    outcome.sizes.clear();
    return outcome;
  };
  if (plan.samples == 0 || plan.samples > kMaxSamples || plan.samples_4k == 0 ||
      plan.samples_4k > kMaxSamples) {
    return failed("run_host_path: samples must be 1.." + std::to_string(kMaxSamples));
  }
  auto probe = SharedBlock<Probe>::create();
  if (!probe) return failed(probe.error().to_string());
  if (auto probed = run_probe(env, **probe); !probed) return failed(probed.error().to_string());
  if ((*probe)->ok.load(std::memory_order_acquire) == 0) {
    outcome.status = HostPathOutcome::Status::Skipped;
    outcome.reason = (*probe)->skip_reason;
    return outcome;
  }
  for (const Resolution r : plan.resolutions) {
    auto shared = SharedBlock<Shared>::create();
    if (!shared) return failed(shared.error().to_string());
    Shared& s = **shared;
    const RunPlan run{r, outcome.warmup, sample_count(plan, r)};
    if (auto ran = run_workers(env, run, s); !ran) {
      if (s.unsupported[0] != '\0') {
        outcome.status = HostPathOutcome::Status::Skipped;
        outcome.reason = "host frames unsupported by the sender: " + std::string(s.unsupported);
        outcome.sizes.clear();
        return outcome;
      }
      return failed(r.label() + ": " + ran.error().to_string());
    }
    outcome.device = s.device;
    outcome.sync_mode = s.sync_mode;
    outcome.sizes.push_back(size_result(run, s));
  }
  outcome.status = HostPathOutcome::Status::Ok;
  return outcome;
}

void write_host_path_json(JsonWriter& json, const HostPathOutcome& outcome,
                          const std::vector<CopyRow>* copies) {
  const bool ok = outcome.status == HostPathOutcome::Status::Ok;
  json.begin_object("host_path");
  json.string("status", to_string(outcome.status));
  if (!ok) {
    json.string("reason", outcome.reason);
    json.end_object();
    return;
  }
  json.string("device", outcome.device);
  json.string("sync_mode", outcome.sync_mode);
  json.integer("warmup", outcome.warmup);
  json.begin_array("sizes");
  for (const HostPathSize& size : outcome.sizes) {
    json.begin_object();
    json.string("resolution", size.resolution.label());
    json.integer("frame_bytes", size.frame_bytes);
    json.integer("samples", size.samples);
    json.begin_array("rows");
    for (const HostPathRow& row : size.rows) write_row(json, row);
    json.end_array();
    // Derived from the present() p50s of the same run, not timed on their own.
    json.number("host_copy_us_derived", size.host_copy_us());
    json.number("host_copy_gbps_derived", size.host_copy_gbps());
    json.number("present_ratio_4_vs_1", size.present_ratio_4_vs_1());
    json.number("sender_cpu_ratio_4_vs_1", size.sender_cpu_ratio_4_vs_1());
    json.number("host_copy_ratio_4_vs_1", size.host_copy_ratio_4_vs_1());
    json.number("present_ratio_transfer_vs_main", size.present_ratio_transfer_vs_main());
    const HostPathRow* one = size.row(1);
    if (const CopyRow* copy = copy_row(copies, size.resolution); copy && one) {
      json.number("copy_path_p50_us", copy->copy_us.p50);
      json.number("host_vs_copy_path", ratio(one->host_latency_us.p50, copy->copy_us.p50));
      json.number("host_end_to_end_vs_copy_path",
                  ratio(one->host_end_to_end_us.p50, copy->copy_us.p50));
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

void print_host_path(std::ostream& out, const HostPathOutcome& outcome,
                     const std::vector<CopyRow>* copies) {
  if (outcome.status != HostPathOutcome::Status::Ok) {
    out << "  " << to_string(outcome.status) << ": " << outcome.reason << "\n";
    return;
  }
  out << "  device: " << outcome.device << ", Vulkan receivers sync " << outcome.sync_mode
      << "; host = host::Receiver latencies pooled over the N processes\n";
  out << fmt("  %-10s %2s %-8s %10s %10s %10s %10s %10s %10s %10s %10s %10s %5s\n", "size", "N",
             "copy on", "present50", "present99", "sendCPU/f", "host50", "host99", "hostE2E50",
             "hostCPU/f", "vulkan50", "vulkan99", "skip");
  for (const HostPathSize& size : outcome.sizes) {
    for (const HostPathRow& row : size.rows) {
      const std::string label = size.resolution.label();
      if (row.host_receivers == 0) {
        out << fmt(
            "  %-10s %2u %-8s %8.1fus %8.1fus %8.1fus %10s %10s %10s %10s %8.1fus %8.1fus %5llu\n",
            label.c_str(), row.host_receivers, "-", row.present_us.p50, row.present_us.p99,
            row.sender_cpu_us_per_frame, "-", "-", "-", "-", row.vulkan_latency_us.p50,
            row.vulkan_latency_us.p99, static_cast<unsigned long long>(row.frames_skipped));
        continue;
      }
      out << fmt(
          "  %-10s %2u %-8s %8.1fus %8.1fus %8.1fus %8.1fus %8.1fus %8.1fus %8.1fus %8.1fus "
          "%8.1fus %5llu\n",
          label.c_str(), row.host_receivers, row.copy_queue.c_str(), row.present_us.p50,
          row.present_us.p99, row.sender_cpu_us_per_frame, row.host_latency_us.p50,
          row.host_latency_us.p99, row.host_end_to_end_us.p50, row.host_cpu_us_per_frame,
          row.vulkan_latency_us.p50, row.vulkan_latency_us.p99,
          static_cast<unsigned long long>(row.frames_skipped));
    }
    std::uint64_t verified = 0;
    for (const HostPathRow& row : size.rows) verified += row.frames_verified;
    out << fmt(
        "  %-10s host copy (derived: present p50 N=1 - N=0) %.1f us = %.2f GB/s; N=4 / N=1: "
        "present p50 %.2fx, sender CPU %.2fx, host part %.2fx; %llu host frames matched the "
        "test pattern\n",
        size.resolution.label().c_str(), size.host_copy_us(), size.host_copy_gbps(),
        size.present_ratio_4_vs_1(), size.sender_cpu_ratio_4_vs_1(), size.host_copy_ratio_4_vs_1(),
        static_cast<unsigned long long>(verified));
    if (const HostPathRow* main = size.row(1, true)) {
      out << fmt("  %-10s N=1 present p50, copy on %s / on %s: %.3fx\n",
                 size.resolution.label().c_str(), size.row(1)->copy_queue.c_str(),
                 main->copy_queue.c_str(), size.present_ratio_transfer_vs_main());
    }
    const HostPathRow* one = size.row(1);
    if (const CopyRow* copy = copy_row(copies, size.resolution); copy && one) {
      out << fmt(
          "  %-10s host p50 / copy path p50 (%.1f us, [a+b]): %.3fx (present -> acquire: "
          "%.3fx)\n",
          size.resolution.label().c_str(), copy->copy_us.p50,
          ratio(one->host_latency_us.p50, copy->copy_us.p50),
          ratio(one->host_end_to_end_us.p50, copy->copy_us.p50));
    }
  }
}

}  // namespace geyser::bench
