// run_bench: runs the scenarios in order, prints them and writes the JSON report.
#include "matrix.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "aims.hpp"
#include "cross_device.hpp"
#include "gl_handoff.hpp"
#include "host_path.hpp"
#include "json_writer.hpp"
#include "machine_info.hpp"
#include "pipewire/report.hpp"
#include "pipewire/scenario.hpp"
#include "scenarios.hpp"
#include "stats.hpp"
#include "text_format.hpp"

namespace geyser::bench {
namespace {

constexpr Resolution k256{256, 256};
constexpr Resolution k720p{1280, 720};
constexpr Resolution k1080p{1920, 1080};
constexpr Resolution k4k{3840, 2160};

// What run_bench returns when the command line named a device nobody has (kExitUsage).
constexpr int kBenchUsageError = 2;

bool same(Resolution a, Resolution b) {
  return a.width == b.width && a.height == b.height;
}

// Everything measured, for the JSON report and the summary.
struct Report {
  MachineInfo machine;
  std::string date;
  double elapsed_s = 0.0;
  std::optional<HandoffResult> handoff;
  PipewireOutcome pipewire;
  GlHandoffOutcome gl_handoff;
  HostPathOutcome host_path;
  std::vector<ThroughputRow> throughput;
  std::vector<MemoryRow> memory;
  std::vector<std::string> errors;

  const HandoffRow* handoff_row(Resolution r) const {
    if (!handoff) return nullptr;
    for (const auto& row : handoff->rows) {
      if (same(row.resolution, r)) return &row;
    }
    return nullptr;
  }
  const CopyRow* copy_row(Resolution r) const {
    if (!handoff) return nullptr;
    for (const auto& row : handoff->copies) {
      if (same(row.resolution, r)) return &row;
    }
    return nullptr;
  }
  // Copy time over zero-copy handoff time at one resolution, both p50, same run.
  double copy_vs_zero_copy(Resolution r) const {
    const HandoffRow* h = handoff_row(r);
    const CopyRow* c = copy_row(r);
    return h && c ? ratio(c->copy_us.p50, h->handoff_us.p50) : 0.0;
  }
  const ThroughputRow* throughput_row(Resolution r, std::uint32_t receivers,
                                      bool application_submission = false) const {
    for (const auto& row : throughput) {
      if (same(row.resolution, r) && row.receivers == receivers &&
          row.application_submission == application_submission && !row.receivers_sleep) {
        return &row;
      }
    }
    return nullptr;
  }
  AimInputs aim_inputs() const {
    return {handoff_row(k1080p),
            throughput_row(k1080p, 1),
            throughput_row(k1080p, 8),
            compare(pipewire, handoff_row(pipewire.result.resolution)),
            &gl_handoff,
            throughput_row(k1080p, 1, true),
            throughput_row(k1080p, 8, true)};
  }
  const MemoryRow* memory_row(Resolution r) const {
    for (const auto& row : memory) {
      if (same(row.resolution, r)) return &row;
    }
    return nullptr;
  }
};

std::int64_t delta(std::int64_t after, std::int64_t before) {
  return after - before;
}

void write_per_receiver(JsonWriter& json, const std::vector<ThroughputRow::PerReceiver>& rows) {
  json.begin_array("per_receiver");
  for (const ThroughputRow::PerReceiver& r : rows) {
    json.begin_object();
    json.number("fps", r.fps);
    json.number("acquire_us_per_frame", r.acquire_us_per_frame);
    json.number("cpu_us_per_frame", r.cpu_us_per_frame);
    json.integer("claims_lost", r.claims_lost);
    json.integer("imports", r.imports);
    json.integer("reconnects", r.reconnects);
    json.number("runqueue_wait_ms", r.runqueue_wait_ms);
    json.integer("cpu", r.cpu);
    json.integer("socket_reads", r.socket_reads);
    json.number("thread_cpu_ms", r.thread_cpu_ms);
    json.number("longest_call_ms", std::max(r.longest_acquire_ms, r.longest_release_ms));
    json.number("longest_acquire_ms", r.longest_acquire_ms);
    json.number("longest_release_ms", r.longest_release_ms);
    json.integer("acquire_timeouts", r.acquire_timeouts);
    json.integer("threads", r.threads);
    json.number("cpu_irq_ms", r.cpu_lost.irq_ms);
    json.number("cpu_softirq_ms", r.cpu_lost.softirq_ms);
    json.number("cpu_steal_ms", r.cpu_lost.steal_ms);
    json.end_object();
  }
  json.end_array();
}

void write_snapshot(JsonWriter& json, std::string_view key, const MemorySnapshot& m) {
  json.begin_object(key);
  json.signed_integer("rss", m.rss);
  json.signed_integer("rss_anon", m.rss_anon);
  json.signed_integer("rss_file", m.rss_file);
  json.signed_integer("rss_shmem", m.rss_shmem);
  json.signed_integer("pss", m.pss);
  json.signed_integer("pss_shmem", m.pss_shmem);
  json.end_object();
}

// The keys every report starts with: what ran, when, where.
void write_header(JsonWriter& json, const BenchOptions& options, const Report& report) {
  json.string("schema", "geyser-bench/1");
  json.string("date", report.date);
  json.boolean("quick", options.quick);
  json.string("command", options.command_line);
  json.number("elapsed_s", report.elapsed_s);
  json.begin_object("machine");
  json.string("hostname", report.machine.hostname);
  json.string("cpu_model", report.machine.cpu_model);
  json.integer("cores", report.machine.cores);
  json.string("kernel", report.machine.kernel);
  json.end_object();
}

void write_errors(JsonWriter& json, const std::vector<std::string>& errors) {
  json.begin_array("errors");
  for (const std::string& e : errors) json.string({}, e);
  json.end_array();
}

void write_json(std::ostream& out, const BenchOptions& options, const Report& report) {
  JsonWriter json(out);
  json.begin_object();
  write_header(json, options, report);
  json.begin_object("device");
  if (report.handoff) {
    json.string("name", report.handoff->device.name);
    json.string("driver", report.handoff->device.driver);
    json.string("sync_mode", report.handoff->device.sync_mode);
  }
  json.end_object();

  // Headline figures: 1920x1080, p50 unless said otherwise, ratios of the same run.
  json.string("headline_resolution", k1080p.label());
  if (const HandoffRow* h = report.handoff_row(k1080p)) {
    json.number("handoff_p50_us", h->handoff_us.p50);
    json.number("handoff_p99_us", h->handoff_us.p99);
    json.number("socket_one_way_p50_us", h->socket_one_way_us.p50);
    json.number("socket_roundtrip_p50_us", h->socket_roundtrip_us.p50);
    json.number("handoff_vs_socket", ratio(h->handoff_us.p50, h->socket_one_way_us.p50));
    json.number("handoff_vs_socket_roundtrip",
                ratio(h->handoff_us.p50, h->socket_roundtrip_us.p50));
    json.number("futex_wake_p50_us", h->futex_wake_us.p50);
    json.number("handoff_vs_futex", ratio(h->handoff_us.p50, h->futex_wake_us.p50));
  }
  if (const HandoffRow* small = report.handoff_row(k256), *large = report.handoff_row(k4k);
      small && large) {
    json.number("handoff_4k_vs_256", ratio(large->handoff_us.p50, small->handoff_us.p50));
  }
  if (report.copy_row(k1080p))
    json.number("copy_vs_zero_copy_1080p", report.copy_vs_zero_copy(k1080p));
  if (report.copy_row(k4k)) json.number("copy_vs_zero_copy_4k", report.copy_vs_zero_copy(k4k));
  for (std::uint32_t n : {1u, 8u}) {
    if (const ThroughputRow* t = report.throughput_row(k1080p, n)) {
      const std::string suffix = n == 1 ? "_1_receiver" : "_" + std::to_string(n) + "_receivers";
      json.number("throughput_fps" + suffix, t->receiver_fps_mean);
      json.number("sender_presents_per_s" + suffix, t->sender_fps);
      json.number("sender_cpu_us_per_frame_per_receiver" + suffix,
                  t->sender_cpu_us_per_frame_per_receiver);
      json.number("sender_cpu_us_per_frame" + suffix, t->sender_cpu_us_per_frame);
      json.number("sender_geyser_cpu_us_per_frame" + suffix, t->sender_geyser_cpu_us_per_frame);
    }
    if (const ThroughputRow* t = report.throughput_row(k1080p, n, true)) {
      const std::string suffix = n == 1 ? "_1_receiver" : "_" + std::to_string(n) + "_receivers";
      json.number("sender_geyser_cpu_us_per_frame_application_submission" + suffix,
                  t->sender_geyser_cpu_us_per_frame);
    }
  }
  if (const MemoryRow* m = report.memory_row(k1080p)) {
    json.integer("ring_device_bytes_1080p", m->ring_device_bytes);
    json.signed_integer("receiver_import_rss_delta_bytes_1080p",
                        delta(m->receiver_connected.rss, m->receiver_before.rss));
  }

  json.begin_array("handoff");
  if (report.handoff) {
    for (const HandoffRow& row : report.handoff->rows) {
      json.begin_object();
      json.string("resolution", row.resolution.label());
      json.integer("message_bytes", report.handoff->message_bytes);
      write_summary(json, "handoff_us", row.handoff_us);
      write_summary(json, "socket_one_way_us", row.socket_one_way_us);
      write_summary(json, "socket_roundtrip_us", row.socket_roundtrip_us);
      write_summary(json, "futex_wake_us", row.futex_wake_us);
      json.number("handoff_vs_socket", ratio(row.handoff_us.p50, row.socket_one_way_us.p50));
      json.number("handoff_vs_futex", ratio(row.handoff_us.p50, row.futex_wake_us.p50));
      json.integer("frames_skipped", row.frames_skipped);
      json.number("sender_cpu_us_per_frame", row.sender_cpu_us_per_frame);
      json.number("receiver_cpu_us_per_frame", row.receiver_cpu_us_per_frame);
      write_summary(json, "handoff_application_submission_us", row.handoff_own_submission_us);
      json.number("sender_cpu_us_per_frame_application_submission",
                  row.sender_cpu_us_per_frame_own_submission);
      json.number("receiver_cpu_us_per_frame_application_submission",
                  row.receiver_cpu_us_per_frame_own_submission);
      json.number("futex_receiver_cpu_us_per_frame", row.futex_receiver_cpu_us_per_frame);
      json.end_object();
    }
  }
  json.end_array();
  json.begin_array("copy");
  if (report.handoff) {
    for (const CopyRow& row : report.handoff->copies) {
      json.begin_object();
      json.string("resolution", row.resolution.label());
      json.integer("frame_bytes", row.frame_bytes);
      write_summary(json, "copy_us", row.copy_us);
      json.number("zero_copy_p50_us", report.handoff_row(row.resolution)->handoff_us.p50);
      json.number("copy_vs_zero_copy", report.copy_vs_zero_copy(row.resolution));
      json.end_object();
    }
  }
  json.end_array();
  write_pipewire_json(json, report.pipewire, report.handoff_row(report.pipewire.result.resolution));
  write_gl_handoff_json(json, report.gl_handoff);
  write_host_path_json(json, report.host_path, report.handoff ? &report.handoff->copies : nullptr);
  write_aims_json(json, report.aim_inputs());
  json.begin_array("throughput");
  for (const ThroughputRow& row : report.throughput) {
    json.begin_object();
    json.string("resolution", row.resolution.label());
    json.integer("receivers", row.receivers);
    json.boolean("application_submission", row.application_submission);
    json.number("seconds", row.seconds);
    json.integer("frames", row.frames);
    json.number("sender_fps", row.sender_fps);
    json.number("receiver_fps_mean", row.receiver_fps_mean);
    json.number("receiver_fps_min", row.receiver_fps_min);
    json.number("sender_cpu_us_per_frame", row.sender_cpu_us_per_frame);
    json.number("sender_cpu_us_per_frame_per_receiver", row.sender_cpu_us_per_frame_per_receiver);
    json.number("sender_cpu_us_per_delivered_frame", row.sender_cpu_us_per_delivered_frame);
    json.number("sender_geyser_cpu_us_per_frame", row.sender_geyser_cpu_us_per_frame);
    json.boolean("fan_out", row.fan_out);
    json.boolean("receivers_sleep", row.receivers_sleep);
    json.number("wakes_skipped_share", row.wakes_skipped_share);
    json.number("receiver_acquire_us_per_frame", row.receiver_acquire_us_per_frame);
    json.number("receiver_release_us_per_frame", row.receiver_release_us_per_frame);
    json.number("receiver_cpu_us_per_frame", row.receiver_cpu_us_per_frame);
    json.number("receiver_claims_lost_per_frame", row.receiver_claims_lost_per_frame);
    json.number("receiver_socket_reads_per_frame", row.receiver_socket_reads_per_frame);
    write_per_receiver(json, row.per_receiver);
    json.end_object();
  }
  json.end_array();
  json.begin_array("memory");
  for (const MemoryRow& row : report.memory) {
    json.begin_object();
    json.string("resolution", row.resolution.label());
    json.integer("slots", row.slots);
    json.integer("frame_bytes", row.frame_bytes);
    json.integer("ring_device_bytes", row.ring_device_bytes);
    json.signed_integer("sender_publish_rss_delta_bytes",
                        delta(row.sender_published.rss, row.sender_before.rss));
    json.signed_integer("sender_written_rss_delta_bytes",
                        delta(row.sender_written.rss, row.sender_before.rss));
    json.signed_integer("sender_written_shmem_delta_bytes",
                        delta(row.sender_written.rss_shmem, row.sender_before.rss_shmem));
    json.signed_integer("receiver_import_rss_delta_bytes",
                        delta(row.receiver_connected.rss, row.receiver_before.rss));
    json.signed_integer("receiver_import_anon_delta_bytes",
                        delta(row.receiver_connected.rss_anon, row.receiver_before.rss_anon));
    json.signed_integer("receiver_read_rss_delta_bytes",
                        delta(row.receiver_read.rss, row.receiver_before.rss));
    json.signed_integer("receiver_read_anon_delta_bytes",
                        delta(row.receiver_read.rss_anon, row.receiver_before.rss_anon));
    json.signed_integer("receiver_read_shmem_delta_bytes",
                        delta(row.receiver_read.rss_shmem, row.receiver_before.rss_shmem));
    json.signed_integer("receiver_read_pss_shmem_delta_bytes",
                        delta(row.receiver_read.pss_shmem, row.receiver_before.pss_shmem));
    write_snapshot(json, "sender_before", row.sender_before);
    write_snapshot(json, "sender_published", row.sender_published);
    write_snapshot(json, "sender_written", row.sender_written);
    write_snapshot(json, "receiver_before", row.receiver_before);
    write_snapshot(json, "receiver_connected", row.receiver_connected);
    write_snapshot(json, "receiver_read", row.receiver_read);
    json.end_object();
  }
  json.end_array();
  write_errors(json, report.errors);
  json.end_object();
}

// The report of `--cross-device`: the header, that scenario, the errors.
void write_cross_device_report(std::ostream& out, const BenchOptions& options, const Report& report,
                               const CrossDeviceOutcome& outcome) {
  JsonWriter json(out);
  json.begin_object();
  write_header(json, options, report);
  write_cross_device_json(json, outcome);
  write_errors(json, report.errors);
  json.end_object();
}

double mib(double bytes) {
  return bytes / (1024.0 * 1024.0);
}

double mib_delta(std::int64_t after, std::int64_t before) {
  return mib(static_cast<double>(after - before));
}

void print_handoff(std::ostream& out, const HandoffResult& h) {
  out << fmt("  %-10s %10s %10s %12s %12s %10s %8s %8s %10s %10s %10s %10s\n", "size", "handoff50",
             "handoff99", "socket1way50", "socketRTT50", "futex50", "h/sock", "h/futex", "sendCPU",
             "appsub50", "appsubCPU", "appsubRCPU");
  for (const HandoffRow& row : h.rows) {
    out << fmt(
        "  %-10s %8.1fus %8.1fus %10.1fus %10.1fus %8.1fus %7.2fx %7.2fx %8.1fus %8.1fus "
        "%8.1fus %8.1fus\n",
        row.resolution.label().c_str(), row.handoff_us.p50, row.handoff_us.p99,
        row.socket_one_way_us.p50, row.socket_roundtrip_us.p50, row.futex_wake_us.p50,
        ratio(row.handoff_us.p50, row.socket_one_way_us.p50),
        ratio(row.handoff_us.p50, row.futex_wake_us.p50), row.sender_cpu_us_per_frame,
        row.handoff_own_submission_us.p50, row.sender_cpu_us_per_frame_own_submission,
        row.receiver_cpu_us_per_frame_own_submission);
  }
  out << "  (appsub: the same handoff with the present's signals in the producer's own "
         "submission and the frame's wait and release signal in the reader's; its sender "
         "and receiver CPU exclude those submissions)\n";
}

// A line on the slowest receiver when it got under half the mean: its CPU and how long it
// was runnable but not running (BENCHMARKS.md, "One receiver behind"); else nothing.
std::string slowest_receiver_line(const ThroughputRow& row) {
  if (row.per_receiver.size() < 2) return {};
  const auto slowest = std::min_element(row.per_receiver.begin(), row.per_receiver.end(),
                                        [](const auto& a, const auto& b) { return a.fps < b.fps; });
  if (slowest->fps >= row.receiver_fps_mean / 2) return {};
  return fmt(
      "    one receiver behind: %.0f fps on CPU %d, runnable but not running %.0f ms; its "
      "thread's CPU %.0f ms, longest acquire %.1f ms, release %.1f ms, %llu acquire "
      "timeouts, %u threads; CPU %d's interrupts %.0f ms, softirqs %.0f ms, steal %.0f ms\n",
      slowest->fps, slowest->cpu, slowest->runqueue_wait_ms, slowest->thread_cpu_ms,
      slowest->longest_acquire_ms, slowest->longest_release_ms,
      static_cast<unsigned long long>(slowest->acquire_timeouts), slowest->threads, slowest->cpu,
      slowest->cpu_lost.irq_ms, slowest->cpu_lost.softirq_ms, slowest->cpu_lost.steal_ms);
}

// The end of every run: the elapsed time, the JSON file (`write` writes it), the errors.
int finish_run(const BenchOptions& options, Report& report,
               std::chrono::steady_clock::time_point started, std::ostream& out,
               const std::function<void(std::ostream&)>& write) {
  report.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << fmt("done in %.1f s", report.elapsed_s);
  if (!options.json_path.empty()) {
    std::ofstream file(options.json_path);
    write(file);
    file.close();
    if (!file) {
      out << "\ngeyser bench: cannot write " << options.json_path << "\n";
      return 1;
    }
    out << ", report in " << options.json_path;
  }
  out << "\n";
  if (!report.errors.empty()) {
    out << report.errors.size() << " scenario(s) failed\n";
    return 1;
  }
  return 0;
}

CrossDevicePlan cross_device_plan(const BenchOptions& options) {
  CrossDevicePlan plan;
  plan.resolutions = {k1080p, k4k};
  plan.receiver_device = options.receiver_device;
  plan.warmup = options.quick ? 8 : 20;
  plan.samples = options.quick ? 30 : 200;
  plan.samples_4k = options.quick ? 12 : 60;
  return plan;
}

// `--cross-device`: that scenario alone, in a report of its own. A selector that names no
// device is the command line's mistake: said on stderr, exit code 2, no report.
int run_cross_device_only(const BenchOptions& options, const Environment& env, Report& report,
                          std::chrono::steady_clock::time_point started, std::ostream& out) {
  const CrossDevicePlan plan = cross_device_plan(options);
  out << "[x] cross_device: one Vulkan sender; the zero-copy handoff on its device beside host "
         "frames into the receiver's device, one frame at a time, every frame checked ("
      << plan.samples << " samples at 1920x1080, " << plan.samples_4k << " at 3840x2160)\n"
      << std::flush;
  const CrossDeviceOutcome outcome = run_cross_device(env, plan);
  if (outcome.unknown_device) {
    std::cerr << "geyser bench: " << outcome.reason
              << "\nhint: `geyser info` lists the devices with their index and UUID\n";
    return kBenchUsageError;
  }
  if (outcome.status == CrossDeviceOutcome::Status::Failed) {
    report.errors.push_back("cross_device: " + outcome.reason);
  }
  print_cross_device(out, outcome);
  return finish_run(options, report, started, out, [&](std::ostream& file) {
    write_cross_device_report(file, options, report, outcome);
  });
}

}  // namespace

int run_bench(const BenchOptions& options, std::ostream& out) {
  const auto started = std::chrono::steady_clock::now();
  Report report;
  report.machine = machine_info();
  report.date = utc_now();

  // A private runtime directory: the benchmark's channels never show up in `geyser list`
  // and never collide with the user's.
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "geyser-bench-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    out << "geyser bench: cannot create a runtime directory under "
        << std::filesystem::temp_directory_path() << "\n";
    return 1;
  }
  Environment env;
  env.runtime_dir = dir_template;
  env.channel_prefix = "bench" + std::to_string(::getpid());
  env.device = options.device;
  env.timeout = options.quick ? std::chrono::seconds(60) : std::chrono::seconds(300);
  if (options.cross_device) {
    out << "geyser bench --cross-device (" << (options.quick ? "quick" : "full")
        << "): " << report.machine.cpu_model << ", " << report.machine.cores << " cores\n";
    const int code = run_cross_device_only(options, env, report, started, out);
    std::error_code ignored;
    std::filesystem::remove_all(env.runtime_dir, ignored);
    return code;
  }

  HandoffPlan handoff;
  handoff.resolutions = {k256, k720p, k1080p, k4k};
  handoff.copy_resolutions = {k1080p, k4k};
  if (options.quick) {
    handoff.warmup = 50;
    handoff.samples = 1000;
    handoff.copy_warmup = 2;
    handoff.copy_samples = 30;
    handoff.copy_samples_4k = 12;
  } else {
    handoff.warmup = 200;
    handoff.samples = 4000;
    handoff.copy_warmup = 5;
    handoff.copy_samples = 200;
    handoff.copy_samples_4k = 60;
  }
  if (options.handoff_samples != 0) handoff.samples = options.handoff_samples;

  out << "geyser bench (" << (options.quick ? "quick" : "full") << "): " << report.machine.cpu_model
      << ", " << report.machine.cores << " cores\n";
  out << "[a+b] handoff latency vs a bare socket, and the copy path (" << handoff.samples
      << " samples per size)\n"
      << std::flush;
  if (auto result = run_handoff(env, handoff)) {
    report.handoff = std::move(*result);
    out << "  device: " << report.handoff->device.name << " (" << report.handoff->device.driver
        << "), sync " << report.handoff->device.sync_mode << "\n";
    print_handoff(out, *report.handoff);
    for (const CopyRow& row : report.handoff->copies) {
      out << fmt("  copy %-10s p50 %9.1fus  = %6.1fx the zero-copy handoff\n",
                 row.resolution.label().c_str(), row.copy_us.p50,
                 report.copy_vs_zero_copy(row.resolution));
    }
  } else {
    report.errors.push_back("handoff: " + result.error().to_string());
    out << "  FAILED: " << report.errors.back() << "\n";
  }

  // The PipeWire baseline: the headline size, as many frames as the handoff scenario.
  PipewirePlan pipewire{k1080p, handoff.warmup, handoff.samples};
  out << "[e] pipewire_handoff: the same handoff through a private PipeWire daemon ("
      << pipewire.resolution.label() << ", " << pipewire.frames << " frames, memfd)\n"
      << std::flush;
  report.pipewire = run_pipewire_handoff(env, pipewire);
  if (report.pipewire.status == PipewireOutcome::Status::Failed) {
    report.errors.push_back("pipewire_handoff: " + report.pipewire.reason);
  }
  print_pipewire(out, report.pipewire, report.handoff_row(pipewire.resolution));

  // Vulkan -> OpenGL and Vulkan -> CUDA beside Vulkan -> Vulkan: the headline size, the
  // handoff's sample counts.
  // Its CUDA part adds a device copy into linear memory at 1080p and 4K.
  const GlHandoffPlan gl_handoff{k1080p, handoff.warmup, handoff.samples, options.quick ? 5u : 20u,
                                 options.quick ? 50u : 200u};
  out << "[f] gl_handoff: one Vulkan sender to a Vulkan, an OpenGL and a CUDA receiver, "
         "interleaved ("
      << gl_handoff.resolution.label() << ", " << gl_handoff.samples << " samples each)\n"
      << std::flush;
  report.gl_handoff = run_gl_handoff(env, gl_handoff);
  if (report.gl_handoff.status == GlHandoffOutcome::Status::Failed) {
    report.errors.push_back("gl_handoff: " + report.gl_handoff.reason);
  }
  print_gl_handoff(out, report.gl_handoff);

  // Host frames: 0, 1 and 4 host receivers beside a zero-copy one, at 1080p and 4K.
  HostPathPlan host_path;
  host_path.resolutions = {k1080p, k4k};
  if (options.quick) {
    host_path.warmup = kHostPathMinWarmup;
    host_path.samples = 30;
    host_path.samples_4k = 12;
  } else {
    host_path.warmup = 2 * kHostPathMinWarmup;
    host_path.samples = 300;
    host_path.samples_4k = 100;
  }
  out << "[g] host_path: one Vulkan sender, channels with N = 0, 1 and 4 host::Receiver "
         "processes beside one zero-copy Vulkan receiver each, interleaved ("
      << host_path.samples << " samples at 1920x1080, " << host_path.samples_4k
      << " at 3840x2160)\n"
      << std::flush;
  report.host_path = run_host_path(env, host_path);
  if (report.host_path.status == HostPathOutcome::Status::Failed) {
    report.errors.push_back("host_path: " + report.host_path.reason);
  }
  print_host_path(out, report.host_path, report.handoff ? &report.handoff->copies : nullptr);

  std::vector<ThroughputPlan> throughput;
  for (Resolution r :
       options.quick ? std::vector<Resolution>{k1080p} : std::vector<Resolution>{k1080p, k4k}) {
    for (bool own_submission : {false, true}) {
      for (std::uint32_t n : {1u, 8u}) {
        throughput.push_back({r, n, options.quick ? 1.5 : 5.0, own_submission});
      }
    }
    // Beside the last two: the same with receivers that sleep at once, what the sender
    // paid before receivers watched the board (docs/protocol.md, "Sleepers").
    for (std::uint32_t n : {1u, 8u}) {
      throughput.push_back({r, n, options.quick ? 1.5 : 5.0, true, true});
    }
  }
  out << "[c] throughput, trivial producer\n" << std::flush;
  for (const ThroughputPlan& plan : throughput) {
    if (auto row = run_throughput(env, plan)) {
      out << fmt(
          "  %-10s %u receiver(s)%s: %8.0f fps received (mean per receiver), %8.0f "
          "presents/s; sender CPU %5.1fus/present (%5.1fus in Geyser's calls); receiver per "
          "frame: acquire %5.1fus, release %5.1fus, CPU %5.1fus, claims lost %.2f, socket "
          "reads %.3f; %.0f%% of presents woke nobody%s\n",
          plan.resolution.label().c_str(), plan.receivers,
          plan.receivers_sleep
              ? (plan.application_submission
                     ? ", signals in the producer's submission, receivers sleep at once"
                     : ", receivers sleep at once")
              : (plan.application_submission ? ", signals in the producer's submission" : ""),
          row->receiver_fps_mean, row->sender_fps, row->sender_cpu_us_per_frame,
          row->sender_geyser_cpu_us_per_frame, row->receiver_acquire_us_per_frame,
          row->receiver_release_us_per_frame, row->receiver_cpu_us_per_frame,
          row->receiver_claims_lost_per_frame, row->receiver_socket_reads_per_frame,
          100.0 * row->wakes_skipped_share,
          plan.receivers > 1 ? (row->fan_out ? "; fan-out" : "; fan-out off") : "");
      out << slowest_receiver_line(*row);
      report.throughput.push_back(*row);
    } else {
      report.errors.push_back("throughput " + plan.resolution.label() + " x" +
                              std::to_string(plan.receivers) + ": " + row.error().to_string());
      out << "  FAILED: " << report.errors.back() << "\n";
    }
    out << std::flush;
  }

  out << "[d] memory per channel and per receiver\n" << std::flush;
  for (Resolution r :
       options.quick ? std::vector<Resolution>{k1080p} : std::vector<Resolution>{k1080p, k4k}) {
    if (auto row = run_memory(env, r)) {
      out << fmt(
          "  %-10s ring %.1f MiB (%u slots); sender RSS +%.1f MiB after writing; "
          "receiver RSS +%.1f MiB after import, +%.1f MiB after reading "
          "(shared pages +%.1f MiB, private +%.1f MiB)\n",
          r.label().c_str(), mib(static_cast<double>(row->ring_device_bytes)), row->slots,
          mib_delta(row->sender_written.rss, row->sender_before.rss),
          mib_delta(row->receiver_connected.rss, row->receiver_before.rss),
          mib_delta(row->receiver_read.rss, row->receiver_before.rss),
          mib_delta(row->receiver_read.rss_shmem, row->receiver_before.rss_shmem),
          mib_delta(row->receiver_read.rss_anon, row->receiver_before.rss_anon));
      report.memory.push_back(*row);
    } else {
      report.errors.push_back("memory " + r.label() + ": " + row.error().to_string());
      out << "  FAILED: " << report.errors.back() << "\n";
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(env.runtime_dir, ignored);

  if (const HandoffRow* h = report.handoff_row(k1080p)) {
    out << fmt(
        "summary (1920x1080): handoff p50 %.1fus = %.2fx a bare socket message; "
        "copying costs %.1fx (1080p) and %.1fx (4K) the handoff\n",
        h->handoff_us.p50, ratio(h->handoff_us.p50, h->socket_one_way_us.p50),
        report.copy_vs_zero_copy(k1080p), report.copy_vs_zero_copy(k4k));
  }
  out << "aims (protocol v2; docs/BENCHMARKS.md):\n";
  print_aims(out, report.aim_inputs());
  return finish_run(options, report, started, out,
                    [&](std::ostream& file) { write_json(file, options, report); });
}

}  // namespace geyser::bench
