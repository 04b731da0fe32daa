// Scenario f, gl_handoff: one Vulkan sender process publishes a channel of the same frames
// per receiver: a Vulkan receiver process, an OpenGL receiver process (a headless EGL
// context made there after fork) and, where CUDA is built and has the Vulkan device, a
// CUDA receiver process (its CUDA context made there after fork). The sender hands one
// frame at a time to each in turn, the order rotating every sample, so that the latencies
// are sampled side by side under the same load. The CUDA process then times a device copy
// of an optimal array into linear memory at 1080p and 4K, on textures it makes itself.
#include "gl_handoff.hpp"

#include <cstdio>
#include <string>
#include <string_view>

#ifdef GEYSER_BENCH_OPENGL
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "control.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/opengl/context.hpp"
#include "geyser/opengl/identity.hpp"
#include "geyser/opengl/receiver.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "handoff_support.hpp"
#include "process.hpp"
#include "text_format.hpp"
#include "worker.hpp"
#ifdef GEYSER_BENCH_CUDA
#include "geyser/cuda/copy.hpp"
#include "geyser/cuda/device.hpp"
#include "geyser/cuda/driver.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/cuda/stream.hpp"
#include "geyser/cuda/texture.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#endif
#endif

namespace geyser::bench {
namespace {

#ifdef GEYSER_BENCH_OPENGL

inline constexpr std::size_t kVulkan = 0;  // receiver and channel index
inline constexpr std::size_t kOpenGl = 1;
inline constexpr std::size_t kCuda = 2;
inline constexpr std::size_t kReceivers = 3;
// The sizes of the CUDA copy timing.
inline constexpr Resolution kCopySizes[] = {{1920, 1080}, {3840, 2160}};
inline constexpr std::size_t kCopies = std::size(kCopySizes);

// What the probe and the workers hand back to the parent.
struct Shared {
  char probe_error[1024];
  char skip_reason[1024];  // set by the probe when the scenario cannot run here
  std::atomic<std::uint32_t> probe_ok{0};
  // The CUDA receiver: set by the probe when it can run (the device with the Vulkan
  // device's UUID), otherwise why not.
  std::atomic<std::uint32_t> cuda_ok{0};
  char cuda_skip_reason[1024];
  char cuda_device[256];
  Uuid vulkan_uuid;
  bool active[kReceivers];  // set by the parent before the workers fork
  char sender_error[1024];
  char receiver_error[kReceivers][1024];
  char vulkan_device[512];
  char gl_renderer[256];
  char gl_platform[32];
  char sync_mode[kReceivers][16];
  std::uint64_t frames_skipped[kReceivers];
  std::uint64_t cpu_ns[kReceivers];  // receiver process, over the timed handoffs
  Samples latency[kReceivers];
  Samples copy_us[kCopies];  // the CUDA process's device copies
  // Each receiver's count of the blocking acquires it is about to enter (the sender lets it
  // fall asleep before each present, as in the handoff scenario).
  std::atomic<std::uint32_t> blocking[kReceivers];
};

std::string channel(const Environment& env, std::size_t k) {
  return channel_name(env, "gl_handoff", k);
}

std::chrono::milliseconds millis(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s);
}

// Whether the CUDA receiver can run: a driver, and a CUDA device that is the Vulkan one.
void probe_cuda([[maybe_unused]] const vulkan::Device& device, Shared& shared) {
#ifdef GEYSER_BENCH_CUDA
  auto driver = cuda::Driver::load();
  if (!driver) {
    set_text(shared.cuda_skip_reason, "no CUDA driver: " + driver.error().to_string());
    return;
  }
  const Uuid& uuid = device.identity().device_uuid;
  auto context = cuda::Context::for_uuid(uuid);
  if (!context) {
    set_text(shared.cuda_skip_reason, "no CUDA device is the Vulkan device " + device.name() +
                                          ": " + context.error().to_string());
    return;
  }
  set_text(shared.cuda_device, context->info().name);
  shared.vulkan_uuid = uuid;
  shared.cuda_ok.store(1, std::memory_order_release);
#else
  set_text(shared.cuda_skip_reason,
           "built without the CUDA backend (no target geyser::cuda_channel)");
#endif
}

// Whether the scenario can run: a GL context, with memory import, on the device the Vulkan
// workers use; and whether its CUDA part can. A process of its own, so that the workers
// still fork from a clean parent.
Result<void> probe_body(const Environment& env, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  probe_cuda(device, shared);
  auto context = opengl::HeadlessContext::create();
  if (!context) {
    set_text(shared.skip_reason, "no OpenGL context: " + context.error().to_string());
    return {};
  }
  set_text(shared.gl_renderer, context->renderer());
  set_text(shared.gl_platform, opengl::to_string(context->platform()));
  const opengl::GlCapabilities caps = opengl::capabilities();
  if (!caps.memory_object_fd) {
    set_text(shared.skip_reason,
             "the OpenGL context (" + caps.renderer + ") lacks GL_EXT_memory_object_fd");
    return {};
  }
  auto identity = opengl::current_identity();
  if (!identity) {
    set_text(shared.skip_reason,
             "cannot identify the OpenGL device: " + identity.error().to_string());
    return {};
  }
  if (!identity->compatible_with(device.identity())) {
    set_text(shared.skip_reason,
             "OpenGL and Vulkan are on different devices: OpenGL " + caps.renderer + " (device " +
                 geyser::to_string(identity->device_uuid) + "), Vulkan " + device.name() +
                 " (device " + geyser::to_string(device.identity().device_uuid) + ")");
    return {};
  }
  shared.probe_ok.store(1, std::memory_order_release);
  return {};
}

Result<void> run_probe(const Environment& env, Shared& shared) {
  return run_worker_alone(shared.probe_error, "gl_handoff probe", env.timeout,
                          [&] { return probe_body(env, shared); });
}

Result<void> sender_body(const Environment& env, const GlHandoffPlan& plan,
                         const UniqueFd* const (&ctl)[kReceivers], Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const DeviceReport report = describe_device(device);
  set_text(shared.vulkan_device, report.name + " (" + report.driver + ")");
  const auto timeout = millis(env.timeout);
  const TextureDescriptor desc{.width = plan.resolution.width, .height = plan.resolution.height};

  // One channel per receiver taking part, the same frames in each; every slot holds a real
  // frame, after that the sender presents without rendering.
  std::vector<std::size_t> active;
  for (std::size_t k = 0; k < kReceivers; ++k) {
    if (shared.active[k]) active.push_back(k);
  }
  std::optional<vulkan::Sender> senders[kReceivers];
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
  for (const std::size_t k : active) {
    channel::SenderOptions options;
    options.runtime_dir = env.runtime_dir;
    GEYSER_TRY(vulkan::Sender sender,
               vulkan::Sender::publish(device, channel(env, k), desc, options));
    for (std::uint32_t s = 0; s < options.slots; ++s) GEYSER_TRY_VOID(sender.write(pixels, 2s));
    senders[k].emplace(std::move(sender));
  }
  for (const std::size_t k : active) {
    vulkan::Sender& sender = *senders[k];
    GEYSER_TRY_VOID(send_ctl(*ctl[k], Ctl::Connect, static_cast<std::uint32_t>(k)));
    const auto deadline = std::chrono::steady_clock::now() + env.timeout;
    while (sender.stats().receivers == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::Timeout, "no receiver connected to " + sender.name());
      }
      GEYSER_TRY_VOID(sender.poll(5ms));
    }
    // A first frame, untimed, so that the timed ones find every resource imported and used.
    GEYSER_TRY(vulkan::SenderFrame first, sender.acquire(2s));
    GEYSER_TRY_VOID(sender.present(first));
    GEYSER_TRY_VOID(receive_ctl(*ctl[k], Ctl::Connected, timeout));
    GEYSER_TRY_VOID(sender.poll(0ms));
  }

  std::uint32_t waits[kReceivers] = {};
  const std::size_t n = active.size();
  for (std::uint32_t i = 0; i < plan.warmup + plan.samples; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      // The order rotates every sample, so that none always follows another.
      const std::size_t k = active[(i + j) % n];
      vulkan::Sender& sender = *senders[k];
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking[k], ++waits[k], timeout));
      GEYSER_TRY(vulkan::SenderFrame frame, sender.acquire(2s));
      GEYSER_TRY_VOID(sender.present(frame));
      // One uncontended handoff at a time: the next frame, to either receiver, goes out
      // only once this one was released.
      GEYSER_TRY_VOID(receive_ctl(*ctl[k], Ctl::Released, timeout));
      GEYSER_TRY_VOID(sender.poll(0ms));
    }
  }
  // The receivers disconnect first, so that the senders' teardown is not timed by anyone.
  for (const std::size_t k : active) {
    for (;;) {
      auto done = receive_ctl(*ctl[k], Ctl::Done, 10ms);
      if (done) break;
      if (done.error().code() != ErrorCode::Timeout) return tl::unexpected(done.error());
      for (const std::size_t m : active) GEYSER_TRY_VOID(senders[m]->poll(0ms));
    }
  }
  return {};
}

// The timed handoffs of receiver `k`: `acquire` returns the latency of the frame it got
// (microseconds from the sender's stamp to its own return), `release` gives it back.
template <typename Acquire, typename Release>
Result<void> timed_handoffs(const GlHandoffPlan& plan, const UniqueFd& ctl, Shared& shared,
                            std::size_t k, Acquire&& acquire, Release&& release) {
  for (std::uint32_t i = 0; i < plan.warmup + plan.samples; ++i) {
    const std::uint64_t cpu_start = process_cpu_ns();
    shared.blocking[k].fetch_add(1, std::memory_order_release);
    GEYSER_TRY(const double latency, acquire());
    if (i >= plan.warmup) shared.latency[k].push(latency);
    GEYSER_TRY_VOID(release());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
    if (i >= plan.warmup) shared.cpu_ns[k] += process_cpu_ns() - cpu_start;
  }
  return {};
}

Result<void> vulkan_receiver_body(const Environment& env, const GlHandoffPlan& plan,
                                  const UniqueFd& ctl, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  std::optional<vulkan::Receiver> receiver;
  GEYSER_TRY(vulkan::Receiver connected,
             vulkan::Receiver::connect(device, channel(env, connect.arg), timeout, options));
  receiver.emplace(std::move(connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));  // the sender's connection frame
  GEYSER_TRY_VOID(receiver->release());
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  GEYSER_TRY_VOID(timed_handoffs(
      plan, ctl, shared, kVulkan,
      [&]() -> Result<double> {
        // As the handoff scenario: a receiver that records its own reads, so acquire
        // submits nothing (their first submission would carry the wait).
        GEYSER_TRY(vulkan::ReceivedFrame frame,
                   receiver->acquire(timeout, channel::ReadSubmission::Application));
        return micros(frame.timestamp_ns, monotonic_ns());
      },
      [&] { return receiver->release(); }));
  set_text(shared.sync_mode[kVulkan], to_string(receiver->stats().sync_mode));
  shared.frames_skipped[kVulkan] = receiver->stats().frames_skipped;
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

Result<void> opengl_receiver_body(const Environment& env, const GlHandoffPlan& plan,
                                  const UniqueFd& ctl, Shared& shared) {
  // The context, current on this thread, outlives the receiver (its textures are GL objects).
  GEYSER_TRY(opengl::HeadlessContext context, opengl::HeadlessContext::create());
  set_text(shared.gl_renderer, context.renderer());
  set_text(shared.gl_platform, opengl::to_string(context.platform()));
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  std::optional<opengl::Receiver> receiver;
  GEYSER_TRY(opengl::Receiver connected,
             opengl::Receiver::connect(channel(env, connect.arg), timeout, options));
  receiver.emplace(std::move(connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));
  GEYSER_TRY_VOID(receiver->release());
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  GEYSER_TRY_VOID(timed_handoffs(
      plan, ctl, shared, kOpenGl,
      [&]() -> Result<double> {
        // GL commands issued from here on see the frame (a queued semaphore wait in `gpu`
        // mode, checked on the CPU in `cpu` mode).
        GEYSER_TRY(opengl::ReceivedFrame frame, receiver->acquire(timeout));
        return micros(frame.timestamp_ns, monotonic_ns());
      },
      [&] { return receiver->release(); }));
  set_text(shared.sync_mode[kOpenGl], to_string(receiver->stats().sync_mode));
  shared.frames_skipped[kOpenGl] = receiver->stats().frames_skipped;
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

#ifdef GEYSER_BENCH_CUDA
// The device copy of an optimal array into linear device memory (pitch width * 4), at each
// of kCopySizes: a texture made and exported here with Vulkan as a sender's slot is (the
// simplest way to a 4K one: the channels are 1080p), imported into CUDA, the test pattern
// uploaded; then warmup + samples copies, each cuMemcpy2DAsync and cuStreamSynchronize.
Result<void> time_cuda_copies(const Environment& env, const GlHandoffPlan& plan,
                              const cuda::Context& context, Shared& shared) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  vulkan::VulkanTextureShareManager manager(device);
  GEYSER_TRY(cuda::Stream stream, cuda::Stream::create(context));
  for (std::size_t r = 0; r < kCopies; ++r) {
    const TextureDescriptor desc{.width = kCopySizes[r].width, .height = kCopySizes[r].height};
    GEYSER_TRY(auto texture, manager.create(desc));
    GEYSER_TRY(TextureShareHandle handle, manager.export_texture(*texture));
    GEYSER_TRY(cuda::ImportedArray array, cuda::ImportedArray::import(context, handle));
    // A real frame in it (the test pattern), not whatever the fresh memory held.
    std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
    fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
    GEYSER_TRY_VOID(cuda::upload(context, array, pixels, stream));
    GEYSER_TRY_VOID(stream.synchronize());
    const std::uint64_t pitch = std::uint64_t{desc.width} * 4;
    GEYSER_TRY(cuda::DeviceBuffer linear,
               cuda::DeviceBuffer::allocate(context, pitch * desc.height));
    for (std::uint32_t i = 0; i < plan.copy_warmup + plan.copy_samples; ++i) {
      const std::uint64_t start = monotonic_ns();
      GEYSER_TRY_VOID(cuda::copy_to_device(context, array, linear.get(), pitch, stream));
      GEYSER_TRY_VOID(stream.synchronize());
      if (i >= plan.copy_warmup) shared.copy_us[r].push(micros(start, monotonic_ns()));
    }
  }
  return {};
}

Result<void> cuda_receiver_body(const Environment& env, const GlHandoffPlan& plan,
                                const UniqueFd& ctl, Shared& shared) {
  // The context is made here, after fork (the parent never touched CUDA).
  GEYSER_TRY(cuda::Context context, cuda::Context::for_uuid(shared.vulkan_uuid));
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  std::optional<cuda::Receiver> receiver;
  GEYSER_TRY(cuda::Receiver connected,
             cuda::Receiver::connect(context, channel(env, connect.arg), timeout, options));
  receiver.emplace(std::move(connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));
  GEYSER_TRY_VOID(receiver->release());
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  GEYSER_TRY_VOID(timed_handoffs(
      plan, ctl, shared, kCuda,
      [&]() -> Result<double> {
        // Work queued on the receiver's stream from here on sees the frame (a queued wait
        // for the imported semaphore in `gpu` mode, checked on the CPU in `cpu` mode).
        GEYSER_TRY(cuda::ReceivedFrame frame, receiver->acquire(timeout));
        return micros(frame.timestamp_ns, monotonic_ns());
      },
      [&] { return receiver->release(); }));
  set_text(shared.sync_mode[kCuda], to_string(receiver->stats().sync_mode));
  shared.frames_skipped[kCuda] = receiver->stats().frames_skipped;
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  // After the handoffs, so that nobody else is timed meanwhile.
  return time_cuda_copies(env, plan, context, shared);
}
#endif  // GEYSER_BENCH_CUDA

// The receivers' bodies, by index.
Result<void> receiver_body(std::size_t k, const Environment& env, const GlHandoffPlan& plan,
                           const UniqueFd& ctl, Shared& shared) {
  switch (k) {
    case kVulkan: return vulkan_receiver_body(env, plan, ctl, shared);
    case kOpenGl: return opengl_receiver_body(env, plan, ctl, shared);
#ifdef GEYSER_BENCH_CUDA
    case kCuda: return cuda_receiver_body(env, plan, ctl, shared);
#endif
    default: return fail(ErrorCode::Internal, "gl_handoff: no receiver " + std::to_string(k));
  }
}

constexpr const char* kWorkerNames[kReceivers] = {
    "gl_handoff vulkan receiver", "gl_handoff opengl receiver", "gl_handoff cuda receiver"};

// The sender and the receivers taking part, each joined to the sender by a socket pair of
// its own.
Result<void> run_workers(const Environment& env, const GlHandoffPlan& plan, Shared& shared) {
  std::pair<UniqueFd, UniqueFd> pairs[kReceivers];
  for (std::size_t k = 0; k < kReceivers; ++k) {
    if (!shared.active[k]) continue;
    GEYSER_TRY(pairs[k], ipc::socket_pair());
  }
  const auto close_all = [&] {
    for (auto& pair : pairs) {
      pair.first.reset();
      pair.second.reset();
    }
  };
  Children children;
  // Each child closes the ends that are not its own, so that a worker that dies ends the
  // others' waits with EOF.
  children.spawn([&] {
    for (auto& pair : pairs) pair.second.reset();
    const UniqueFd* const ctl[kReceivers] = {&pairs[kVulkan].first, &pairs[kOpenGl].first,
                                             &pairs[kCuda].first};
    return run_worker(shared.sender_error, "gl_handoff sender",
                      [&] { return sender_body(env, plan, ctl, shared); });
  });
  for (std::size_t k = 0; k < kReceivers; ++k) {
    if (!shared.active[k]) continue;
    children.spawn([&, k] {
      for (std::size_t m = 0; m < kReceivers; ++m) {
        pairs[m].first.reset();
        if (m != k) pairs[m].second.reset();
      }
      return run_worker(shared.receiver_error[k], kWorkerNames[k],
                        [&] { return receiver_body(k, env, plan, pairs[k].second, shared); });
    });
  }
  close_all();
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

GlHandoffReceiver receiver_result(const Shared& shared, std::size_t k, std::uint32_t samples) {
  const double frames = samples > 0 ? static_cast<double>(samples) : 1.0;
  return GlHandoffReceiver{shared.sync_mode[k], summarize(shared.latency[k].vector()),
                           static_cast<double>(shared.cpu_ns[k]) / 1000.0 / frames,
                           shared.frames_skipped[k]};
}

std::vector<CudaCopyRow> copy_rows(const Shared& shared) {
  std::vector<CudaCopyRow> rows;
  for (std::size_t r = 0; r < kCopies; ++r) {
    CudaCopyRow row{kCopySizes[r], summarize(shared.copy_us[r].vector()), 0.0};
    const double bytes = 4.0 * kCopySizes[r].width * kCopySizes[r].height;
    if (row.copy_us.p50 > 0.0) row.gbps = bytes / (row.copy_us.p50 * 1e3);  // bytes/ns = GB/s
    rows.push_back(row);
  }
  return rows;
}

#endif  // GEYSER_BENCH_OPENGL

void write_receiver_fields(JsonWriter& json, const GlHandoffReceiver& r) {
  json.string("sync_mode", r.sync_mode);
  json.number("p50_us", r.latency_us.p50);
  json.number("p99_us", r.latency_us.p99);
  json.number("cpu_us_per_frame", r.cpu_us_per_frame);
  json.integer("frames_skipped", r.frames_skipped);
  write_summary(json, "latency_us", r.latency_us);
}

void write_receiver(JsonWriter& json, std::string_view key, const GlHandoffReceiver& r) {
  json.begin_object(key);
  write_receiver_fields(json, r);
  json.end_object();
}

void write_cuda(JsonWriter& json, const GlHandoffCuda& cuda) {
  json.begin_object("cuda");
  if (!cuda.measured) {
    json.string("status", "skipped");
    json.string("reason", cuda.reason);
    json.end_object();
    return;
  }
  json.string("status", "ok");
  json.string("device", cuda.device);
  write_receiver_fields(json, cuda.receiver);
  json.begin_array("copy_to_linear");
  for (const CudaCopyRow& row : cuda.copy_to_linear) {
    json.begin_object();
    json.string("resolution", row.resolution.label());
    json.number("p50_us", row.copy_us.p50);
    json.number("p99_us", row.copy_us.p99);
    json.number("gbps", row.gbps);
    json.integer("count", row.copy_us.count);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

}  // namespace

double GlHandoffOutcome::ratio_p50() const noexcept {
  if (status != Status::Ok) return 0.0;
  return ratio(opengl.latency_us.p50, vulkan.latency_us.p50);
}

double GlHandoffOutcome::cuda_ratio_p50() const noexcept {
  if (status != Status::Ok || !cuda.measured) return 0.0;
  return ratio(cuda.receiver.latency_us.p50, vulkan.latency_us.p50);
}

const char* to_string(GlHandoffOutcome::Status status) noexcept {
  switch (status) {
    case GlHandoffOutcome::Status::Ok: return "ok";
    case GlHandoffOutcome::Status::Skipped: return "skipped";
    case GlHandoffOutcome::Status::Failed: return "failed";
  }
  return "failed";
}

GlHandoffOutcome run_gl_handoff([[maybe_unused]] const Environment& env,
                                const GlHandoffPlan& plan) {
  GlHandoffOutcome outcome;
  outcome.resolution = plan.resolution;
  outcome.samples = plan.samples;
  outcome.cuda.reason = "the scenario did not run";
#ifndef GEYSER_BENCH_OPENGL
  outcome.status = GlHandoffOutcome::Status::Skipped;
  outcome.reason = "built without the OpenGL backend (no target geyser::opengl_channel)";
  return outcome;
#else
  const auto failed = [&](std::string reason) {
    outcome.status = GlHandoffOutcome::Status::Failed;
    outcome.reason = std::move(reason);
    return outcome;
  };
  if (plan.samples == 0 || plan.samples > kMaxSamples) {
    return failed("run_gl_handoff: samples must be 1.." + std::to_string(kMaxSamples));
  }
  if (plan.copy_samples == 0 || plan.copy_samples > kMaxSamples) {
    return failed("run_gl_handoff: copy_samples must be 1.." + std::to_string(kMaxSamples));
  }
  auto shared = SharedBlock<Shared>::create();
  if (!shared) return failed(shared.error().to_string());
  Shared& s = **shared;
  if (auto probed = run_probe(env, s); !probed) return failed(probed.error().to_string());
  outcome.gl_renderer = s.gl_renderer;
  outcome.gl_platform = s.gl_platform;
  if (s.probe_ok.load(std::memory_order_acquire) == 0) {
    outcome.status = GlHandoffOutcome::Status::Skipped;
    outcome.reason = s.skip_reason;
    outcome.cuda.reason = "the scenario was skipped (" + outcome.reason + ")";
    return outcome;
  }
  const bool cuda = s.cuda_ok.load(std::memory_order_acquire) != 0;
  outcome.cuda.reason = s.cuda_skip_reason;
  s.active[kVulkan] = true;
  s.active[kOpenGl] = true;
  s.active[kCuda] = cuda;
  if (auto ran = run_workers(env, plan, s); !ran) return failed(ran.error().to_string());
  outcome.status = GlHandoffOutcome::Status::Ok;
  outcome.vulkan_device = s.vulkan_device;
  outcome.gl_renderer = s.gl_renderer;
  outcome.gl_platform = s.gl_platform;
  outcome.vulkan = receiver_result(s, kVulkan, plan.samples);
  outcome.opengl = receiver_result(s, kOpenGl, plan.samples);
  if (cuda) {
    outcome.cuda.measured = true;
    outcome.cuda.reason.clear();
    outcome.cuda.device = s.cuda_device;
    outcome.cuda.receiver = receiver_result(s, kCuda, plan.samples);
    outcome.cuda.copy_to_linear = copy_rows(s);
  }
  return outcome;
#endif
}

void write_gl_handoff_json(JsonWriter& json, const GlHandoffOutcome& outcome) {
  const bool ok = outcome.status == GlHandoffOutcome::Status::Ok;
  json.begin_object("gl_handoff");
  json.string("status", to_string(outcome.status));
  if (!ok) json.string("reason", outcome.reason);
  json.string("resolution", outcome.resolution.label());
  json.integer("samples", outcome.samples);
  if (!outcome.gl_renderer.empty()) {
    json.string("gl_renderer", outcome.gl_renderer);
    json.string("gl_platform", outcome.gl_platform);
  }
  if (ok) {
    json.string("vulkan_device", outcome.vulkan_device);
    write_receiver(json, "vulkan", outcome.vulkan);
    write_receiver(json, "opengl", outcome.opengl);
    json.number("ratio", outcome.ratio_p50());  // opengl p50 / vulkan p50
    json.number("aim_at_most", kGlHandoffAim);
    json.boolean("aim_met", outcome.ratio_p50() <= kGlHandoffAim);
  }
  write_cuda(json, outcome.cuda);
  if (ok && outcome.cuda.measured) {
    json.number("cuda_ratio", outcome.cuda_ratio_p50());  // cuda p50 / vulkan p50
    json.number("cuda_aim_at_most", kCudaHandoffAim);
    json.boolean("cuda_aim_met", outcome.cuda_ratio_p50() <= kCudaHandoffAim);
  }
  json.end_object();
}

void print_gl_handoff(std::ostream& out, const GlHandoffOutcome& outcome) {
  if (outcome.status != GlHandoffOutcome::Status::Ok) {
    out << "  " << to_string(outcome.status) << ": " << outcome.reason << "\n";
    return;
  }
  out << "  Vulkan: " << outcome.vulkan_device << "; OpenGL: " << outcome.gl_renderer << " (EGL "
      << outcome.gl_platform << ")\n";
  out << fmt("  %-10s %10s %10s %14s %6s\n", "receiver", "p50", "p99", "CPU/frame", "sync");
  const auto row = [&](const char* name, const GlHandoffReceiver& r) {
    out << fmt("  %-10s %8.1fus %8.1fus %12.1fus %6s\n", name, r.latency_us.p50, r.latency_us.p99,
               r.cpu_us_per_frame, r.sync_mode.c_str());
  };
  row("vulkan", outcome.vulkan);
  row("opengl", outcome.opengl);
  const double r = outcome.ratio_p50();
  if (outcome.cuda.measured) row("cuda", outcome.cuda.receiver);
  out << fmt("  opengl / vulkan p50: %.2fx (aim: at most %.1fx, %s)\n", r, kGlHandoffAim,
             r <= kGlHandoffAim ? "met" : "missed");
  if (!outcome.cuda.measured) {
    out << "  cuda: skipped: " << outcome.cuda.reason << "\n";
    return;
  }
  const double c = outcome.cuda_ratio_p50();
  out << fmt("  cuda / vulkan p50: %.2fx (aim: at most %.1fx, %s; CUDA device %s)\n", c,
             kCudaHandoffAim, c <= kCudaHandoffAim ? "met" : "missed", outcome.cuda.device.c_str());
  out << "  device copy optimal -> linear:";
  const char* sep = " ";
  for (const CudaCopyRow& copy : outcome.cuda.copy_to_linear) {
    out << sep
        << fmt("%s p50 %.1f us (%.1f GB/s), p99 %.1f us", copy.resolution.label().c_str(),
               copy.copy_us.p50, copy.gbps, copy.copy_us.p99);
    sep = "; ";
  }
  out << "\n";
}

}  // namespace geyser::bench
