// Scenario c: frames per second through one channel with a trivial producer (it presents
// the same content again, no rendering) and N receivers that only acquire and release;
// optionally the producer submits an empty batch per frame that carries the present's
// signals (ThroughputPlan::application_submission).
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "own_submission.hpp"
#include "process.hpp"
#include "scenarios.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

struct Shared {
  std::atomic<std::uint32_t> published{0};
  std::atomic<std::uint32_t> ready{0};  // receivers that got their first frame
  std::atomic<std::uint32_t> go{0};
  std::atomic<std::uint32_t> stop{0};
  std::atomic<std::uint32_t> finished{0};
  char errors[kMaxReceivers + 1][512];
  std::uint64_t acquired[kMaxReceivers];  // frames acquired while measuring
  double receiver_seconds[kMaxReceivers];
  double acquire_seconds[kMaxReceivers];  // wall time in acquire() of the frames counted
  double release_seconds[kMaxReceivers];
  double receiver_cpu_seconds[kMaxReceivers];
  std::uint64_t claims_lost[kMaxReceivers];   // while measuring
  std::uint64_t imports[kMaxReceivers];       // over the whole run
  std::uint64_t socket_reads[kMaxReceivers];  // while measuring
  std::uint64_t reconnects[kMaxReceivers];
  double runqueue_wait_seconds[kMaxReceivers];    // while measuring
  int cpu[kMaxReceivers];                         // the CPU each ran on last
  double thread_cpu_seconds[kMaxReceivers];       // the receiving thread's, while measuring
  double longest_acquire_seconds[kMaxReceivers];  // its longest acquire(), timeouts too
  double longest_release_seconds[kMaxReceivers];  // and its longest release()
  std::uint64_t acquire_timeouts[kMaxReceivers];  // acquire() calls that timed out
  std::uint32_t threads[kMaxReceivers];           // its process's threads at the end
  CpuTimes cpu_lost[kMaxReceivers];  // what its last CPU spent outside tasks while measuring
  std::uint64_t frames = 0;
  double seconds = 0.0;
  double cpu_seconds = 0.0;
  double geyser_cpu_seconds = 0.0;  // the sending thread's, outside the application's submissions
  bool fan_out = false;             // the sender's wakes went through the receivers at the end
  std::uint64_t wakes_skipped = 0;  // presents while measuring that woke nobody
};

using Clock = std::chrono::steady_clock;

// What CPU `cpu` spent outside tasks (interrupts, softirqs, steal) since `before`.
CpuTimes cpu_lost_since(const std::vector<CpuTimes>& before, int cpu) {
  const std::vector<CpuTimes> now = cpu_times();
  const auto at = static_cast<std::size_t>(cpu);
  if (cpu < 0 || at >= before.size() || at >= now.size()) return {};
  return {now[at].irq_ms - before[at].irq_ms, now[at].softirq_ms - before[at].softirq_ms,
          now[at].steal_ms - before[at].steal_ms};
}

Result<void> wait_for(const std::atomic<std::uint32_t>& flag, std::uint32_t value,
                      Clock::time_point deadline, const char* what) {
  while (flag.load(std::memory_order_acquire) < value) {
    if (Clock::now() > deadline)
      return fail(ErrorCode::Timeout, std::string("waiting for ") + what);
    std::this_thread::sleep_for(1ms);
  }
  return {};
}

Result<void> sender_body(const Environment& env, const ThroughputPlan& plan, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const TextureDescriptor desc{.width = plan.resolution.width, .height = plan.resolution.height};
  channel::SenderOptions options;
  options.runtime_dir = env.runtime_dir;
  GEYSER_TRY(channel::Sender sender,
             channel::Sender::publish(device, channel_name(env, "throughput", plan.receivers), desc,
                                      options));
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
  for (std::uint32_t s = 0; s < options.slots; ++s) GEYSER_TRY_VOID(sender.write(pixels, 2s));
  shared.published.store(1, std::memory_order_release);

  const auto deadline = Clock::now() + env.timeout;
  while (shared.ready.load(std::memory_order_acquire) < plan.receivers) {
    if (Clock::now() > deadline) return fail(ErrorCode::Timeout, "waiting for the receivers");
    GEYSER_TRY_VOID(present_one(sender, 1ms));
    GEYSER_TRY_VOID(sender.poll(1ms));
  }
  const vulkan::Device* own_work = plan.application_submission ? &device : nullptr;
  double app_seconds = 0.0;

  const double cpu_start = process_cpu_seconds();
  const double thread_start = thread_cpu_seconds();
  const std::uint64_t frames_start = sender.stats().frames;
  const std::uint64_t skipped_start = sender.stats().wakes_skipped;
  const std::uint64_t start = monotonic_ns();
  shared.go.store(1, std::memory_order_release);
  const auto end_at = Clock::now() + std::chrono::duration<double>(plan.seconds);
  while (Clock::now() < end_at) {
    // No poll(): acquire() reads the sockets often enough for a loop that presents.
    GEYSER_TRY_VOID(present_one(sender, 5ms, own_work, &app_seconds));
  }
  const std::uint64_t end = monotonic_ns();
  shared.geyser_cpu_seconds = thread_cpu_seconds() - thread_start - app_seconds;
  shared.frames = sender.stats().frames - frames_start;
  shared.fan_out = sender.stats().fan_out;
  shared.wakes_skipped = sender.stats().wakes_skipped - skipped_start;
  shared.cpu_seconds = process_cpu_seconds() - cpu_start;
  shared.seconds = static_cast<double>(end - start) / 1e9;
  shared.stop.store(1, std::memory_order_release);
  // Keep reading releases until every receiver is gone.
  while (shared.finished.load(std::memory_order_acquire) < plan.receivers) {
    if (Clock::now() > deadline) return fail(ErrorCode::Timeout, "waiting for receivers to end");
    GEYSER_TRY_VOID(sender.poll(2ms));
  }
  return {};
}

Result<void> receiver_body(const Environment& env, const ThroughputPlan& plan, Shared& shared,
                           std::uint32_t index) {
  // Counted as finished on every path, so that the sender never waits for a dead receiver.
  struct Finish {
    Shared& s;
    ~Finish() { s.finished.fetch_add(1, std::memory_order_acq_rel); }
  } finish{shared};
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto deadline = Clock::now() + env.timeout;
  GEYSER_TRY_VOID(wait_for(shared.published, 1, deadline, "the sender to publish"));
  // Receivers connect and import all at once, as real ones do. (Lavapipe imports by
  // lseek(0) + read() of the fd; Geyser gives each import its own file description of the
  // memfd, so concurrent importers cannot move each other's offset.)
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  if (plan.receivers_sleep) options.spin = std::chrono::microseconds(0);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout);
  GEYSER_TRY(channel::Receiver receiver,
             channel::Receiver::connect(device, channel_name(env, "throughput", plan.receivers),
                                        timeout, options));
  GEYSER_TRY_VOID(receiver.acquire(timeout));
  GEYSER_TRY_VOID(receiver.release());
  shared.ready.fetch_add(1, std::memory_order_acq_rel);

  std::uint64_t count = 0;
  std::uint64_t start = 0;
  double cpu_start = 0.0;
  double wait_start = 0.0;
  std::uint64_t claims_start = 0;
  std::uint64_t reads_start = 0;
  std::uint64_t in_acquire = 0;
  std::uint64_t in_release = 0;
  double thread_start = 0.0;
  std::uint64_t longest_acquire = 0;
  std::uint64_t longest_release = 0;
  std::uint64_t timeouts = 0;
  std::vector<CpuTimes> cpu_times_start;
  while (shared.stop.load(std::memory_order_acquire) == 0) {
    // No reads to submit: acquire submits no wait; release() submits the signal.
    const std::uint64_t before = monotonic_ns();
    auto frame = receiver.acquire(20ms, channel::ReadSubmission::Application);
    const std::uint64_t acquired = monotonic_ns();
    if (start != 0) longest_acquire = std::max(longest_acquire, acquired - before);
    if (!frame) {
      if (frame.error().code() != ErrorCode::Timeout) return tl::unexpected(frame.error());
      if (start != 0) ++timeouts;
      continue;
    }
    if (start == 0 && shared.go.load(std::memory_order_acquire) != 0) {
      // The baselines first, then the clock starts: the time they take (a file read among
      // them) is in no figure, and the thread's clocks cover all that the window measures.
      cpu_start = process_cpu_seconds();
      wait_start = thread_runqueue_wait_seconds();
      thread_start = thread_cpu_seconds();
      claims_start = receiver.stats().claims_lost;
      reads_start = receiver.stats().socket_reads;
      cpu_times_start = cpu_times();
      start = monotonic_ns();
    }
    const std::uint64_t releasing = monotonic_ns();
    GEYSER_TRY_VOID(receiver.release());
    if (start != 0) {
      const std::uint64_t released = monotonic_ns();
      ++count;
      in_acquire += acquired - before;
      in_release += released - releasing;
      longest_release = std::max(longest_release, released - releasing);
    }
  }
  const std::uint64_t end = monotonic_ns();
  shared.acquired[index] = count;
  shared.receiver_seconds[index] = start != 0 ? static_cast<double>(end - start) / 1e9 : 0.0;
  shared.acquire_seconds[index] = static_cast<double>(in_acquire) / 1e9;
  shared.release_seconds[index] = static_cast<double>(in_release) / 1e9;
  shared.receiver_cpu_seconds[index] = start != 0 ? process_cpu_seconds() - cpu_start : 0.0;
  shared.claims_lost[index] = start != 0 ? receiver.stats().claims_lost - claims_start : 0;
  shared.socket_reads[index] = start != 0 ? receiver.stats().socket_reads - reads_start : 0;
  shared.imports[index] = receiver.stats().imports;
  shared.reconnects[index] = receiver.stats().reconnects;
  shared.runqueue_wait_seconds[index] =
      start != 0 ? thread_runqueue_wait_seconds() - wait_start : 0.0;
  shared.thread_cpu_seconds[index] = start != 0 ? thread_cpu_seconds() - thread_start : 0.0;
  shared.longest_acquire_seconds[index] = static_cast<double>(longest_acquire) / 1e9;
  shared.longest_release_seconds[index] = static_cast<double>(longest_release) / 1e9;
  shared.acquire_timeouts[index] = timeouts;
  shared.threads[index] = process_thread_count();
  shared.cpu[index] = sched_getcpu();
  shared.cpu_lost[index] = cpu_lost_since(cpu_times_start, shared.cpu[index]);
  return {};
}

}  // namespace

Result<ThroughputRow> run_throughput(const Environment& env, const ThroughputPlan& plan) {
  if (plan.receivers == 0 || plan.receivers > kMaxReceivers) {
    return fail(ErrorCode::Validation, "run_throughput: 1.." + std::to_string(kMaxReceivers) +
                                           " receivers, not " + std::to_string(plan.receivers));
  }
  GEYSER_TRY(auto shared, SharedBlock<Shared>::create());
  Children children;
  children.spawn([&] {
    return run_worker(shared->errors[0], "throughput sender",
                      [&] { return sender_body(env, plan, *shared); });
  });
  for (std::uint32_t i = 0; i < plan.receivers && !children.failed(); ++i) {
    children.spawn([&] {
      return run_worker(shared->errors[i + 1], "throughput receiver",
                        [&] { return receiver_body(env, plan, *shared, i); });
    });
    if (children.failed()) {
      shared->stop.store(1);
      shared->finished.fetch_add(plan.receivers - i);
    }
  }
  auto waited = children.wait(env.timeout);
  if (!waited) {
    std::string why = waited.error().message();
    for (const auto& text : shared->errors) {
      if (text[0] != '\0') why += std::string(" ") + text;
    }
    return fail(ErrorCode::Internal, why);
  }

  ThroughputRow row;
  row.resolution = plan.resolution;
  row.receivers = plan.receivers;
  row.application_submission = plan.application_submission;
  row.receivers_sleep = plan.receivers_sleep;
  row.seconds = shared->seconds;
  row.frames = shared->frames;
  row.sender_fps = ratio(static_cast<double>(shared->frames), shared->seconds);
  double sum = 0.0;
  double least = 0.0;
  std::uint64_t delivered = 0;
  for (std::uint32_t i = 0; i < plan.receivers; ++i) {
    const double fps = ratio(static_cast<double>(shared->acquired[i]), shared->receiver_seconds[i]);
    const auto per_frame = [&](double seconds) {
      return ratio(seconds * 1e6, static_cast<double>(shared->acquired[i])) / plan.receivers;
    };
    row.receiver_acquire_us_per_frame += per_frame(shared->acquire_seconds[i]);
    row.receiver_release_us_per_frame += per_frame(shared->release_seconds[i]);
    row.receiver_cpu_us_per_frame += per_frame(shared->receiver_cpu_seconds[i]);
    const double frames = static_cast<double>(shared->acquired[i]);
    row.per_receiver.push_back(
        {fps, ratio(shared->acquire_seconds[i] * 1e6, frames),
         ratio(shared->receiver_cpu_seconds[i] * 1e6, frames), shared->claims_lost[i],
         shared->imports[i], shared->reconnects[i], shared->runqueue_wait_seconds[i] * 1e3,
         shared->cpu[i], shared->socket_reads[i], shared->thread_cpu_seconds[i] * 1e3,
         shared->longest_acquire_seconds[i] * 1e3, shared->longest_release_seconds[i] * 1e3,
         shared->acquire_timeouts[i], shared->threads[i], shared->cpu_lost[i]});
    row.receiver_socket_reads_per_frame +=
        ratio(static_cast<double>(shared->socket_reads[i]), frames) / plan.receivers;
    row.receiver_claims_lost_per_frame += ratio(static_cast<double>(shared->claims_lost[i]),
                                                static_cast<double>(shared->acquired[i])) /
                                          plan.receivers;
    sum += fps;
    delivered += shared->acquired[i];
    least = i == 0 ? fps : std::min(least, fps);
  }
  row.receiver_fps_mean = sum / plan.receivers;
  row.receiver_fps_min = least;
  row.sender_cpu_us_per_frame = ratio(shared->cpu_seconds * 1e6, static_cast<double>(row.frames));
  row.sender_cpu_us_per_frame_per_receiver = row.sender_cpu_us_per_frame / plan.receivers;
  row.sender_geyser_cpu_us_per_frame =
      ratio(shared->geyser_cpu_seconds * 1e6, static_cast<double>(row.frames));
  row.sender_cpu_us_per_delivered_frame =
      ratio(shared->cpu_seconds * 1e6, static_cast<double>(delivered));
  row.fan_out = shared->fan_out;
  row.wakes_skipped_share =
      ratio(static_cast<double>(shared->wakes_skipped), static_cast<double>(row.frames));
  return row;
}

}  // namespace geyser::bench
