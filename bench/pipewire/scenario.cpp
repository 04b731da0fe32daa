// run_pipewire_handoff: a private daemon, then a producer and a consumer process joined by
// the bench's control socket, as in Geyser's handoff scenario.
#include "pipewire/scenario.hpp"

#include <spa/buffer/buffer.h>

#include <exception>
#include <filesystem>
#include <system_error>

#include "pipewire/consumer.hpp"
#include "pipewire/daemon.hpp"
#include "pipewire/format.hpp"
#include "pipewire/producer.hpp"
#include "process.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

using pipewire::ConsumerReport;
using pipewire::ProducerReport;

// What the two workers hand back to the parent.
struct Shared {
  char producer_error[1024];
  char consumer_error[1024];
  ProducerReport producer;
  ConsumerReport consumer;
};

PipewireOutcome skipped(PipewireOutcome outcome, const Error& why) {
  outcome.status = PipewireOutcome::Status::Skipped;
  outcome.reason = why.message();
  return outcome;
}

PipewireOutcome failed(PipewireOutcome outcome, std::string why) {
  outcome.status = PipewireOutcome::Status::Failed;
  outcome.reason = std::move(why);
  return outcome;
}

double per_frame_us(std::uint64_t ns, std::uint64_t frames) {
  return frames == 0 ? 0.0 : static_cast<double>(ns) / 1000.0 / static_cast<double>(frames);
}

// Both streams must have been handed the same memfd buffers, or this is not the baseline.
Result<void> check_buffers(const Shared& shared) {
  const std::uint32_t type = shared.producer.data_type;
  if (type != SPA_DATA_MemFd || shared.consumer.data_type != SPA_DATA_MemFd) {
    return fail(ErrorCode::Unsupported,
                std::string("the link's buffers are ") + pipewire::data_type_name(type) + " / " +
                    pipewire::data_type_name(shared.consumer.data_type) + ", not MemFd");
  }
  return {};
}

PipewireOutcome measure(const Environment& env, const PipewirePlan& plan) {
  PipewireOutcome outcome;
  outcome.result.resolution = plan.resolution;
  if (plan.warmup == 0 || plan.frames == 0 || plan.frames > pipewire::kMaxFrames) {
    return failed(std::move(outcome), "pipewire_handoff: at least one warmup frame, and 1 to " +
                                          std::to_string(pipewire::kMaxFrames) + " frames");
  }
  auto binary = pipewire::find_daemon_binary();
  if (!binary) return skipped(std::move(outcome), binary.error());
  auto version = pipewire::daemon_version(*binary);
  if (!version) return skipped(std::move(outcome), version.error());
  outcome.result.version = *version;

  const std::filesystem::path dir = env.runtime_dir / "pipewire";
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  if (made) return failed(std::move(outcome), "cannot create " + dir.string());
  auto daemon = pipewire::Daemon::start(*binary, dir, std::chrono::seconds(10));
  if (!daemon) return skipped(std::move(outcome), daemon.error());

  auto shared = SharedBlock<Shared>::create();
  if (!shared) return failed(std::move(outcome), shared.error().to_string());
  // The workers' own deadline comes first, so that a stall is reported by what stalled
  // rather than as a killed worker.
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout) * 3 / 4;
  const pid_t daemon_pid = daemon->pid();
  auto ran = run_worker_pair(
      (*shared)->producer_error, (*shared)->consumer_error, "pipewire_handoff", env.timeout,
      [&](UniqueFd& ctl) {
        return pipewire::run_producer(dir, daemon_pid, plan, ctl, timeout, (*shared)->producer);
      },
      [&](UniqueFd& ctl) {
        return pipewire::run_consumer(dir, plan, ctl, timeout, (*shared)->consumer);
      });
  daemon->stop();
  if (!ran) return failed(std::move(outcome), ran.error().to_string());
  if (auto buffers = check_buffers(**shared); !buffers) {
    return failed(std::move(outcome), buffers.error().to_string());
  }

  const Shared& s = **shared;
  PipewireResult& r = outcome.result;
  r.data_type = pipewire::data_type_name(s.producer.data_type);
  r.buffers = s.producer.buffers;
  r.frames = s.consumer.latency_count;
  r.latency_us =
      summarize({s.consumer.latency_us, s.consumer.latency_us + s.consumer.latency_count});
  r.sender_cpu_us_per_frame = per_frame_us(s.producer.cpu_ns, plan.frames);
  r.receiver_cpu_us_per_frame = per_frame_us(s.consumer.cpu_ns, plan.frames);
  r.daemon_cpu_us_per_frame = per_frame_us(s.producer.daemon_cpu_ns, plan.frames);
  outcome.status = PipewireOutcome::Status::Measured;
  return outcome;
}

}  // namespace

PipewireOutcome run_pipewire_handoff(const Environment& env, const PipewirePlan& plan) {
  try {
    return measure(env, plan);
  } catch (const std::exception& e) {
    PipewireOutcome outcome;
    outcome.result.resolution = plan.resolution;
    return failed(std::move(outcome), std::string("pipewire_handoff: ") + e.what());
  }
}

}  // namespace geyser::bench
