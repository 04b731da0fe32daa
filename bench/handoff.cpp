// Scenarios a and b: cross-process handoff latency beside a bare socket message, and the
// copy path a user would otherwise write. One sender process and one receiver process,
// forked before either touches Vulkan, each with its own Device.
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "control.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/ipc/wire.hpp"
#include "geyser/shared_wake.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "handoff_support.hpp"
#include "own_submission.hpp"
#include "process.hpp"
#include "scenarios.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

inline constexpr std::size_t kMaxResolutions = 8;

// What the two workers hand back to the parent.
struct Shared {
  char sender_error[1024];
  char receiver_error[1024];
  char device_name[256];
  char driver[256];
  char sync_mode[16];
  std::uint64_t frames_skipped[kMaxResolutions];
  std::uint64_t sender_cpu_ns[kMaxResolutions];    // over the timed handoffs, pings excluded
  std::uint64_t receiver_cpu_ns[kMaxResolutions];  // the same
  // The same handoff with the present's signals in the producer's own submission: the
  // sender's CPU less its thread's time inside that submission, and the latency.
  std::uint64_t sender_cpu_own_submission_ns[kMaxResolutions];
  // Its receiver reads in its own submission too (the frame's wait and release signal in
  // it): the receiver's CPU less its thread's time inside that submission.
  std::uint64_t receiver_cpu_own_submission_ns[kMaxResolutions];
  // The bare futex baseline's receiver: its wait and the same notice, nothing of Geyser's.
  std::uint64_t futex_receiver_cpu_ns[kMaxResolutions];
  Samples handoff_own_submission[kMaxResolutions];  // receiver
  Samples handoff[kMaxResolutions];                 // receiver
  Samples one_way[kMaxResolutions];                 // receiver
  Samples roundtrip[kMaxResolutions];               // sender
  Samples copy[kMaxResolutions];                    // receiver
  Samples futex[kMaxResolutions];                   // receiver
  // The bare futex baseline: the sender stamps, bumps the word and wakes the receiver.
  std::atomic<std::uint32_t> futex_word{0};
  std::array<std::byte, kWakeTagSize> futex_tag{};  // SharedWake's tag (unused on Linux)
  std::atomic<std::uint64_t> futex_stamp{0};
  // The receiver's count of the blocking waits it is about to enter (the sender lets it fall
  // asleep before each timed event, so that every one of them measures a wake-up).
  std::atomic<std::uint32_t> blocking{0};
};

// The futex word's SharedWake (on Linux a futex on it and nothing else: opening it makes
// no system call, so each half opens its own).
SharedWake futex_of(Shared& shared) {
  auto wake = SharedWake::open(std::as_writable_bytes(std::span(&shared.futex_word, 1)),
                               shared.futex_tag, WakeAccess::PeersWake);
  return std::move(wake).value();  // fails only for spans too small
}

// One bare cross-process futex wake, the sender's half.
void futex_wake(Shared& shared) {
  SharedWake wake = futex_of(shared);
  shared.futex_stamp.store(monotonic_ns(), std::memory_order_relaxed);
  wake.wake();
}

// The receiver's half: waits for the word to move past `seen`; the microseconds from the
// sender's stamp to the return.
Result<double> futex_wait(Shared& shared, std::uint32_t seen, std::chrono::milliseconds timeout) {
  const SharedWake wake = futex_of(shared);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (shared.futex_word.load(std::memory_order_acquire) == seen) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Timeout, "bench: no futex wake");
    }
    GEYSER_TRY_VOID(wake.wait(seen, timeout));
  }
  const std::uint64_t arrived = monotonic_ns();
  return micros(shared.futex_stamp.load(std::memory_order_relaxed), arrived);
}

std::uint32_t copy_sample_count(const HandoffPlan& plan, Resolution r) {
  return std::uint64_t{r.width} * r.height >= 8'000'000 ? plan.copy_samples_4k : plan.copy_samples;
}

bool has_copy(const HandoffPlan& plan, Resolution r) {
  return std::any_of(plan.copy_resolutions.begin(), plan.copy_resolutions.end(),
                     [&](Resolution c) { return c.width == r.width && c.height == r.height; });
}

TextureDescriptor rgba8(Resolution r) {
  return TextureDescriptor{.width = r.width, .height = r.height};
}

// A shared mapping of a memfd, unmapped on destruction.
struct Mapping {
  void* data = MAP_FAILED;
  std::size_t size = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data != MAP_FAILED) ::munmap(data, size);
  }
  Result<void> map(int fd, std::size_t bytes, int prot) {
    size = bytes;
    data = ::mmap(nullptr, bytes, prot, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED)
      return fail(Error::from_errno(ErrorCode::Internal, "mmap(memfd)", errno));
    return {};
  }
};

// The copy path, producer side: readback -> memcpy into shared memory -> tell the consumer.
Result<void> copy_sender(const vulkan::Device& device, const UniqueFd& ctl, Resolution res,
                         std::uint32_t iterations, std::chrono::milliseconds timeout) {
  const TextureDescriptor desc = rgba8(res);
  const std::size_t bytes = tight_size_bytes(desc);
  vulkan::VulkanTextureShareManager manager(device);
  GEYSER_TRY(auto source, manager.create(desc));
  std::vector<std::uint8_t> pixels(bytes);
  fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
  GEYSER_TRY_VOID(vulkan::upload(*source, pixels));

  UniqueFd memfd(::memfd_create("geyser-bench-copy", MFD_CLOEXEC));
  if (!memfd.valid()) return fail(Error::from_errno(ErrorCode::Internal, "memfd_create", errno));
  if (::ftruncate(memfd.get(), static_cast<off_t>(bytes)) != 0) {
    return fail(Error::from_errno(ErrorCode::Internal, "ftruncate(memfd)", errno));
  }
  Mapping staging;
  GEYSER_TRY_VOID(staging.map(memfd.get(), bytes, PROT_READ | PROT_WRITE));
  const int fds[] = {memfd.get()};
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::CopySetup, iterations, bytes, fds));
  for (std::uint32_t i = 0; i < iterations; ++i) {
    const std::uint64_t start = monotonic_ns();
    GEYSER_TRY(auto texels, vulkan::readback(*source));
    std::memcpy(staging.data, texels.data(), texels.size());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::CopyReady, i, start));
    GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::CopyDone, timeout));
  }
  return {};
}

// The copy path, consumer side: upload from shared memory into its own texture.
Result<void> copy_receiver(const vulkan::Device& device, const UniqueFd& ctl, Resolution res,
                           std::uint32_t warmup, Samples& out, std::chrono::milliseconds timeout) {
  const TextureDescriptor desc = rgba8(res);
  GEYSER_TRY(CtlMessage setup, receive_ctl(ctl, Ctl::CopySetup, timeout));
  if (setup.fds.size() != 1 || setup.value != tight_size_bytes(desc)) {
    return fail(ErrorCode::Protocol, "bench control: a CopySetup without its memfd");
  }
  Mapping staging;
  GEYSER_TRY_VOID(staging.map(setup.fds[0].get(), setup.value, PROT_READ));
  vulkan::VulkanTextureShareManager manager(device);
  GEYSER_TRY(auto target, manager.create(desc));
  const std::span<const std::uint8_t> texels(static_cast<const std::uint8_t*>(staging.data),
                                             staging.size);
  for (std::uint32_t i = 0; i < setup.arg; ++i) {
    GEYSER_TRY(CtlMessage ready, receive_ctl(ctl, Ctl::CopyReady, timeout));
    GEYSER_TRY_VOID(vulkan::upload(*target, texels));
    const std::uint64_t end = monotonic_ns();
    if (i >= warmup) out.push(micros(ready.value, end));
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::CopyDone, i));
  }
  // The copy must have delivered the frame, or its timing means nothing.
  GEYSER_TRY(auto check, vulkan::readback(*target));
  if (auto mismatch = check_test_pattern(check, desc.width, desc.height, 4, 1)) {
    return fail(ErrorCode::Internal, "the copied frame is wrong: " + mismatch->to_string());
  }
  return {};
}

// Process CPU `spent_ns` less `app_seconds` of it spent in the application's own work.
std::uint64_t less_own_work(std::uint64_t spent_ns, double app_seconds) {
  const auto app_ns = static_cast<std::uint64_t>(app_seconds * 1e9);
  return spent_ns > app_ns ? spent_ns - app_ns : 0;
}

// One handoff with the present's signals in the producer's own submission; adds its CPU
// (whole process, less the thread's time inside that submission) to `*cpu_ns` if given.
Result<void> handoff_own_submission(channel::Sender& sender, const vulkan::Device& device,
                                    const UniqueFd& ctl, std::chrono::milliseconds timeout,
                                    std::uint64_t* cpu_ns) {
  const std::uint64_t cpu_start = process_cpu_ns();
  double app_seconds = 0.0;
  GEYSER_TRY(const bool presented, present_one(sender, 2s, &device, &app_seconds));
  if (!presented) return fail(ErrorCode::Timeout, "bench: no free slot for a handoff");
  GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Released, timeout));
  GEYSER_TRY_VOID(sender.poll(0ms));
  if (cpu_ns) *cpu_ns += less_own_work(process_cpu_ns() - cpu_start, app_seconds);
  return {};
}

Result<void> sender_body(const Environment& env, const HandoffPlan& plan, const UniqueFd& ctl,
                         Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const DeviceReport report = describe_device(device);
  set_text(shared.device_name, report.name);
  set_text(shared.driver, report.driver);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout);

  // One channel per resolution, all live at once, so that the samples of every resolution
  // can be taken in turn and see the same machine load (the 4K/256 ratio is side by side).
  std::vector<channel::Sender> senders;
  for (std::size_t r = 0; r < plan.resolutions.size(); ++r) {
    const TextureDescriptor desc = rgba8(plan.resolutions[r]);
    channel::SenderOptions options;
    options.runtime_dir = env.runtime_dir;
    GEYSER_TRY(channel::Sender sender,
               channel::Sender::publish(device, channel_name(env, "handoff", r), desc, options));
    // Every slot holds a real frame; after that the producer presents without rendering.
    std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
    fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
    for (std::uint32_t s = 0; s < options.slots; ++s) GEYSER_TRY_VOID(sender.write(pixels, 2s));
    senders.push_back(std::move(sender));
  }
  for (std::size_t r = 0; r < senders.size(); ++r) {
    channel::Sender& sender = senders[r];
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connect, static_cast<std::uint32_t>(r)));
    const auto deadline = std::chrono::steady_clock::now() + env.timeout;
    while (sender.stats().receivers == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::Timeout, "no receiver connected to " + sender.name());
      }
      GEYSER_TRY_VOID(sender.poll(5ms));
    }
    // A first frame, untimed: the receiver acquires and releases it, so that the measured
    // handoffs start from a receiver that has imported and used every resource once.
    GEYSER_TRY(channel::SenderFrame first, sender.acquire(2s));
    GEYSER_TRY_VOID(sender.present(first));
    GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Connected, timeout));
    GEYSER_TRY_VOID(sender.poll(0ms));
  }

  std::vector<std::uint8_t> ping(frame_message_size());
  std::uint32_t waits = 0;  // the receiver's blocking waits so far
  for (std::uint32_t i = 0; i < plan.warmup + plan.samples; ++i) {
    for (std::size_t r = 0; r < senders.size(); ++r) {
      channel::Sender& sender = senders[r];
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking, ++waits, timeout));
      const std::uint64_t cpu_start = process_cpu_ns();
      GEYSER_TRY(channel::SenderFrame frame, sender.acquire(2s));
      GEYSER_TRY_VOID(sender.present(frame));
      // One uncontended handoff per sample: the next frame goes out only once the receiver
      // has released this one (its FrameReleased is queued before this control message).
      GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Released, timeout));
      GEYSER_TRY_VOID(sender.poll(0ms));
      if (i >= plan.warmup) shared.sender_cpu_ns[r] += process_cpu_ns() - cpu_start;
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking, ++waits, timeout));
      GEYSER_TRY_VOID(handoff_own_submission(
          sender, device, ctl, timeout,
          i >= plan.warmup ? &shared.sender_cpu_own_submission_ns[r] : nullptr));

      // The bare socket baseline, interleaved with the handoffs so that both see the same
      // machine load: a message the size of a frame record, stamped like one.
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking, ++waits, timeout));
      const std::uint64_t start = monotonic_ns();
      std::memcpy(ping.data(), &start, sizeof start);
      GEYSER_TRY_VOID(ipc::send_message(ctl, ping, {}, timeout));
      GEYSER_TRY(ipc::ReceivedMessage pong,
                 ipc::receive_message(ctl, ipc::kMaxMessageSize, 0, timeout));
      const std::uint64_t end = monotonic_ns();
      if (pong.bytes.size() != ping.size()) {
        return fail(ErrorCode::Protocol, "bench control: a pong of the wrong size");
      }
      if (i >= plan.warmup) shared.roundtrip[r].push(micros(start, end));
      // The bare futex baseline: what a wake-up across processes costs by itself.
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking, ++waits, timeout));
      futex_wake(shared);
      GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Released, timeout));
    }
  }
  for (const Resolution res : plan.resolutions) {
    if (!has_copy(plan, res)) continue;
    GEYSER_TRY_VOID(
        copy_sender(device, ctl, res, plan.copy_warmup + copy_sample_count(plan, res), timeout));
  }
  // The receiver disconnects first, so that the senders' teardown is not timed by anyone.
  for (;;) {
    auto done = receive_ctl(ctl, Ctl::Done, 10ms);
    if (done) break;
    if (done.error().code() != ErrorCode::Timeout) return tl::unexpected(done.error());
    for (channel::Sender& sender : senders) GEYSER_TRY_VOID(sender.poll(0ms));
  }
  return {};
}

// The receiver's half of one handoff: acquire, release and the notice; its latency goes to
// `*latency` and its CPU to `*cpu_ns` where given. With `own_work`, the frame's wait and
// release signal go into the reader's own submission on that device (whose time inside
// vkQueueSubmit2 `*cpu_ns` leaves out); without, release() submits the signal.
Result<void> receive_one(channel::Receiver& receiver, const UniqueFd& ctl,
                         std::chrono::milliseconds timeout, Shared& shared, Samples* latency,
                         std::uint64_t* cpu_ns, const vulkan::Device* own_work = nullptr) {
  const std::uint64_t cpu_start = process_cpu_ns();
  shared.blocking.fetch_add(1, std::memory_order_release);
  // As a receiver that records its own reads: their first submission would carry the wait
  // (begin_access), so acquire submits nothing (docs/BENCHMARKS.md).
  GEYSER_TRY(channel::ReceivedFrame frame,
             receiver.acquire(timeout, channel::ReadSubmission::Application));
  // The frame is ready to read here: imported, synchronized, in the shared layout.
  const std::uint64_t ready = monotonic_ns();
  if (latency) latency->push(micros(frame.timestamp_ns, ready));
  double app_seconds = 0.0;
  if (own_work) GEYSER_TRY_VOID(read_in_own_submission(receiver, *own_work, &app_seconds));
  GEYSER_TRY_VOID(receiver.release());
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
  if (cpu_ns) *cpu_ns += less_own_work(process_cpu_ns() - cpu_start, app_seconds);
  return {};
}

Result<void> receiver_body(const Environment& env, const HandoffPlan& plan, const UniqueFd& ctl,
                           Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout);
  std::vector<channel::Receiver> receivers;
  for (std::size_t r = 0; r < plan.resolutions.size(); ++r) {
    GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
    channel::ReceiverOptions options;
    options.runtime_dir = env.runtime_dir;
    GEYSER_TRY(channel::Receiver receiver,
               channel::Receiver::connect(device, channel_name(env, "handoff", connect.arg),
                                          timeout, options));
    set_text(shared.sync_mode, to_string(receiver.stats().sync_mode));
    GEYSER_TRY_VOID(receiver.acquire(timeout));  // the sender's connection frame
    GEYSER_TRY_VOID(receiver.release());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
    receivers.push_back(std::move(receiver));
  }
  for (std::uint32_t i = 0; i < plan.warmup + plan.samples; ++i) {
    for (std::size_t r = 0; r < receivers.size(); ++r) {
      channel::Receiver& receiver = receivers[r];
      const bool timed = i >= plan.warmup;
      GEYSER_TRY_VOID(receive_one(receiver, ctl, timeout, shared,
                                  timed ? &shared.handoff[r] : nullptr,
                                  timed ? &shared.receiver_cpu_ns[r] : nullptr));
      GEYSER_TRY_VOID(receive_one(
          receiver, ctl, timeout, shared, timed ? &shared.handoff_own_submission[r] : nullptr,
          timed ? &shared.receiver_cpu_own_submission_ns[r] : nullptr, &device));

      shared.blocking.fetch_add(1, std::memory_order_release);
      GEYSER_TRY(ipc::ReceivedMessage ping,
                 ipc::receive_message(ctl, ipc::kMaxMessageSize, 0, timeout));
      const std::uint64_t arrived = monotonic_ns();
      std::uint64_t sent = 0;
      if (ping.bytes.size() < sizeof sent) {
        return fail(ErrorCode::Protocol, "bench control: a ping too short");
      }
      std::memcpy(&sent, ping.bytes.data(), sizeof sent);
      if (i >= plan.warmup) shared.one_way[r].push(micros(sent, arrived));
      // Read before the pong: the sender wakes only after it.
      const std::uint32_t seen = shared.futex_word.load(std::memory_order_acquire);
      GEYSER_TRY_VOID(ipc::send_message(ctl, ping.bytes, {}, timeout));
      const std::uint64_t cpu_start = process_cpu_ns();
      shared.blocking.fetch_add(1, std::memory_order_release);
      GEYSER_TRY(const double woke, futex_wait(shared, seen, timeout));
      if (i >= plan.warmup) shared.futex[r].push(woke);
      GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
      if (i >= plan.warmup) shared.futex_receiver_cpu_ns[r] += process_cpu_ns() - cpu_start;
    }
  }
  for (std::size_t r = 0; r < receivers.size(); ++r) {
    shared.frames_skipped[r] = receivers[r].stats().frames_skipped;
  }
  for (std::size_t r = 0; r < plan.resolutions.size(); ++r) {
    if (!has_copy(plan, plan.resolutions[r])) continue;
    GEYSER_TRY_VOID(
        copy_receiver(device, ctl, plan.resolutions[r], plan.copy_warmup, shared.copy[r], timeout));
  }
  receivers.clear();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

}  // namespace

Result<HandoffResult> run_handoff(const Environment& env, const HandoffPlan& plan) {
  if (plan.resolutions.size() > kMaxResolutions || plan.samples > kMaxSamples ||
      plan.copy_samples > kMaxSamples || plan.copy_samples_4k > kMaxSamples) {
    return fail(ErrorCode::Validation, "run_handoff: too many resolutions or samples");
  }
  GEYSER_TRY(auto shared, SharedBlock<Shared>::create());
  GEYSER_TRY_VOID(run_worker_pair(
      shared->sender_error, shared->receiver_error, "handoff", env.timeout,
      [&](UniqueFd& socket) { return sender_body(env, plan, socket, *shared); },
      [&](UniqueFd& socket) { return receiver_body(env, plan, socket, *shared); }));

  HandoffResult result;
  result.device = {shared->device_name, shared->driver, shared->sync_mode};
  result.message_bytes = frame_message_size();
  for (std::size_t r = 0; r < plan.resolutions.size(); ++r) {
    const Resolution res = plan.resolutions[r];
    const double frames = plan.samples > 0 ? static_cast<double>(plan.samples) : 1.0;
    result.rows.push_back(HandoffRow{
        res, summarize(shared->handoff[r].vector()), summarize(shared->one_way[r].vector()),
        summarize(shared->roundtrip[r].vector()), summarize(shared->futex[r].vector()),
        shared->frames_skipped[r], static_cast<double>(shared->sender_cpu_ns[r]) / 1000.0 / frames,
        static_cast<double>(shared->receiver_cpu_ns[r]) / 1000.0 / frames,
        summarize(shared->handoff_own_submission[r].vector()),
        static_cast<double>(shared->sender_cpu_own_submission_ns[r]) / 1000.0 / frames,
        static_cast<double>(shared->receiver_cpu_own_submission_ns[r]) / 1000.0 / frames,
        static_cast<double>(shared->futex_receiver_cpu_ns[r]) / 1000.0 / frames});
    if (has_copy(plan, res)) {
      result.copies.push_back(
          CopyRow{res, tight_size_bytes(rgba8(res)), summarize(shared->copy[r].vector())});
    }
  }
  return result;
}

}  // namespace geyser::bench
