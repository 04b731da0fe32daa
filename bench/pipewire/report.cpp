#include "pipewire/report.hpp"

#include <cstdio>
#include <string>

#include "stats.hpp"
#include "text_format.hpp"

namespace geyser::bench {
namespace {

bool meets(double ratio_value) {
  return ratio_value > 0.0 && ratio_value <= kPipewireAim;
}

const char* yes_no(double ratio_value) {
  return meets(ratio_value) ? "yes" : "no";
}

}  // namespace

const char* to_string(PipewireOutcome::Status status) noexcept {
  switch (status) {
    case PipewireOutcome::Status::Measured: return "measured";
    case PipewireOutcome::Status::Skipped: return "skipped";
    case PipewireOutcome::Status::Failed: return "failed";
  }
  return "failed";
}

PipewireComparison compare(const PipewireOutcome& outcome, const HandoffRow* geyser) {
  PipewireComparison c;
  if (outcome.status != PipewireOutcome::Status::Measured || geyser == nullptr) return c;
  const PipewireResult& p = outcome.result;
  c.available = true;
  c.latency_p50 = ratio(geyser->handoff_us.p50, p.latency_us.p50);
  c.latency_p99 = ratio(geyser->handoff_us.p99, p.latency_us.p99);
  c.sender_cpu = ratio(geyser->sender_cpu_us_per_frame, p.sender_cpu_us_per_frame);
  c.receiver_cpu = ratio(geyser->receiver_cpu_us_per_frame, p.receiver_cpu_us_per_frame);
  c.sender_cpu_own_submission =
      ratio(geyser->sender_cpu_us_per_frame_own_submission, p.sender_cpu_us_per_frame);
  c.receiver_cpu_own_submission =
      ratio(geyser->receiver_cpu_us_per_frame_own_submission, p.receiver_cpu_us_per_frame);
  return c;
}

void write_pipewire_json(JsonWriter& json, const PipewireOutcome& outcome,
                         const HandoffRow* geyser) {
  const PipewireResult& p = outcome.result;
  json.begin_object("pipewire_handoff");
  json.string("status", to_string(outcome.status));
  if (outcome.status != PipewireOutcome::Status::Measured) json.string("reason", outcome.reason);
  json.string("pipewire_version", p.version);
  json.string("resolution", p.resolution.label());
  if (outcome.status == PipewireOutcome::Status::Measured) {
    json.integer("frames", p.frames);
    json.string("data_type", p.data_type);
    json.integer("buffers", p.buffers);
    write_summary(json, "latency_us", p.latency_us);
    json.number("latency_p50_us", p.latency_us.p50);
    json.number("latency_p99_us", p.latency_us.p99);
    json.number("sender_cpu_us_per_frame", p.sender_cpu_us_per_frame);
    json.number("receiver_cpu_us_per_frame", p.receiver_cpu_us_per_frame);
    json.number("daemon_cpu_us_per_frame", p.daemon_cpu_us_per_frame);
  }
  if (const PipewireComparison c = compare(outcome, geyser); c.available) {
    json.begin_object("geyser");
    json.number("latency_p50_us", geyser->handoff_us.p50);
    json.number("latency_p99_us", geyser->handoff_us.p99);
    json.number("sender_cpu_us_per_frame", geyser->sender_cpu_us_per_frame);
    json.number("receiver_cpu_us_per_frame", geyser->receiver_cpu_us_per_frame);
    json.number("sender_cpu_us_per_frame_application_submission",
                geyser->sender_cpu_us_per_frame_own_submission);
    json.number("receiver_cpu_us_per_frame_application_submission",
                geyser->receiver_cpu_us_per_frame_own_submission);
    json.number("futex_receiver_cpu_us_per_frame", geyser->futex_receiver_cpu_us_per_frame);
    json.end_object();
    json.begin_object("geyser_vs_pipewire");
    json.number("latency_p50", c.latency_p50);
    json.number("latency_p99", c.latency_p99);
    json.number("sender_cpu", c.sender_cpu);
    json.number("receiver_cpu", c.receiver_cpu);
    json.number("sender_cpu_application_submission", c.sender_cpu_own_submission);
    json.number("receiver_cpu_application_submission", c.receiver_cpu_own_submission);
    json.end_object();
    json.begin_object("aims_at_most_half");
    json.boolean("latency_p50", meets(c.latency_p50));
    json.boolean("latency_p99", meets(c.latency_p99));
    json.boolean("sender_cpu", meets(c.sender_cpu));
    json.boolean("receiver_cpu", meets(c.receiver_cpu));
    json.boolean("sender_cpu_application_submission", meets(c.sender_cpu_own_submission));
    json.boolean("receiver_cpu_application_submission", meets(c.receiver_cpu_own_submission));
    json.end_object();
  }
  json.end_object();
}

void print_pipewire(std::ostream& out, const PipewireOutcome& outcome, const HandoffRow* geyser) {
  const PipewireResult& p = outcome.result;
  if (outcome.status != PipewireOutcome::Status::Measured) {
    out << "  " << to_string(outcome.status) << ": " << outcome.reason << "\n";
    return;
  }
  out << "  " << p.version << "; " << p.buffers << " " << p.data_type << " buffers\n";
  out << fmt(
      "  %-10s latency p50 %8.1fus p99 %8.1fus; CPU per frame: producer %6.1fus, "
      "consumer %6.1fus, daemon %6.1fus\n",
      p.resolution.label().c_str(), p.latency_us.p50, p.latency_us.p99, p.sender_cpu_us_per_frame,
      p.receiver_cpu_us_per_frame, p.daemon_cpu_us_per_frame);
  const PipewireComparison c = compare(outcome, geyser);
  if (!c.available) {
    out << "  (no Geyser handoff at this size to compare with)\n";
    return;
  }
  out << fmt(
      "  Geyser     latency p50 %8.1fus p99 %8.1fus; CPU per frame: sender   %6.1fus, "
      "receiver %6.1fus\n",
      geyser->handoff_us.p50, geyser->handoff_us.p99, geyser->sender_cpu_us_per_frame,
      geyser->receiver_cpu_us_per_frame);
  out << fmt(
      "  Geyser/PipeWire: latency p50 %.2fx (%s), p99 %.2fx (%s); CPU sender %.2fx (%s), "
      "receiver %.2fx (%s)  [aim: at most %.1fx]\n",
      c.latency_p50, yes_no(c.latency_p50), c.latency_p99, yes_no(c.latency_p99), c.sender_cpu,
      yes_no(c.sender_cpu), c.receiver_cpu, yes_no(c.receiver_cpu), kPipewireAim);
  out << fmt(
      "  Geyser's sender with the present's signals in its own submission (less that "
      "submission): %.1fus, %.2fx (%s)\n",
      geyser->sender_cpu_us_per_frame_own_submission, c.sender_cpu_own_submission,
      yes_no(c.sender_cpu_own_submission));
  out << fmt(
      "  Geyser's receiver with the frame's wait and release signal in its own submission "
      "(less that submission): %.1fus, %.2fx (%s)\n",
      geyser->receiver_cpu_us_per_frame_own_submission, c.receiver_cpu_own_submission,
      yes_no(c.receiver_cpu_own_submission));
  out << fmt(
      "  A bare futex wake's receiver, same run (its wait and the same notice): %.1fus; "
      "Geyser's receiver is %.2fx that, PipeWire's consumer %.2fx\n",
      geyser->futex_receiver_cpu_us_per_frame,
      ratio(geyser->receiver_cpu_us_per_frame, geyser->futex_receiver_cpu_us_per_frame),
      ratio(p.receiver_cpu_us_per_frame, geyser->futex_receiver_cpu_us_per_frame));
}

}  // namespace geyser::bench
