#include "aims.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "stats.hpp"

namespace geyser::bench {
namespace {

struct Aim {
  const char* name;
  double measured;  // NaN: not measured
  double target;
  bool at_most;
};

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

bool measured(const Aim& a) {
  return std::isfinite(a.measured) && a.measured > 0.0;
}
bool met(const Aim& a) {
  return measured(a) && (a.at_most ? a.measured <= a.target : a.measured >= a.target);
}

double or_none(bool available, double value) {
  return available ? value : kNone;
}

std::vector<Aim> aims(const AimInputs& in) {
  const HandoffRow* h = in.handoff;
  const ThroughputRow* one = in.one_receiver;
  const ThroughputRow* eight = in.eight_receivers;
  const ThroughputRow* own1 = in.one_receiver_own_submission;
  const ThroughputRow* own8 = in.eight_receivers_own_submission;
  const PipewireComparison& pw = in.pipewire;
  const bool gl = in.gl_handoff && in.gl_handoff->status == GlHandoffOutcome::Status::Ok;
  return {
      {"handoff_vs_socket", or_none(h, h ? ratio(h->handoff_us.p50, h->socket_one_way_us.p50) : 0),
       1.0, true},
      {"handoff_vs_futex", or_none(h, h ? ratio(h->handoff_us.p50, h->futex_wake_us.p50) : 0), 1.2,
       true},
      {"sender_cpu_us_per_frame_1_receiver", or_none(one, one ? one->sender_cpu_us_per_frame : 0),
       2.0, true},
      {"sender_cpu_us_per_frame_8_receivers",
       or_none(eight, eight ? eight->sender_cpu_us_per_frame : 0), 2.0, true},
      {"throughput_fps_1_receiver", or_none(one, one ? one->receiver_fps_mean : 0), 20000.0, false},
      {"pipewire_latency_p50", or_none(pw.available, pw.latency_p50), kPipewireAim, true},
      {"pipewire_sender_cpu", or_none(pw.available, pw.sender_cpu), kPipewireAim, true},
      {"pipewire_receiver_cpu", or_none(pw.available, pw.receiver_cpu), kPipewireAim, true},
      {"gl_handoff_vs_vulkan", or_none(gl, gl ? in.gl_handoff->ratio_p50() : 0), kGlHandoffAim,
       true},
      {"cuda_handoff_vs_vulkan",
       or_none(gl && in.gl_handoff->cuda.measured, gl ? in.gl_handoff->cuda_ratio_p50() : 0),
       kCudaHandoffAim, true},
      {"sender_geyser_cpu_us_per_frame_1_receiver_application_submission",
       or_none(own1, own1 ? own1->sender_geyser_cpu_us_per_frame : 0), 2.0, true},
      {"sender_geyser_cpu_us_per_frame_8_receivers_application_submission",
       or_none(own8, own8 ? own8->sender_geyser_cpu_us_per_frame : 0), 2.0, true},
      {"pipewire_sender_cpu_application_submission",
       or_none(pw.available, pw.sender_cpu_own_submission), kPipewireAim, true},
      {"pipewire_receiver_cpu_application_submission",
       or_none(pw.available, pw.receiver_cpu_own_submission), kPipewireAim, true},
  };
}

}  // namespace

void write_aims_json(JsonWriter& json, const AimInputs& inputs) {
  json.begin_array("aims");
  for (const Aim& a : aims(inputs)) {
    json.begin_object();
    json.string("aim", a.name);
    json.number("measured", measured(a) ? a.measured : kNone);
    json.number("target", a.target);
    json.string("kind", a.at_most ? "at_most" : "at_least");
    if (measured(a)) {
      json.boolean("met", met(a));
    } else {
      json.number("met", kNone);  // null: not measured in this run
    }
    json.end_object();
  }
  json.end_array();
}

void print_aims(std::ostream& out, const AimInputs& inputs) {
  for (const Aim& a : aims(inputs)) {
    char line[160];
    if (measured(a)) {
      std::snprintf(line, sizeof line, "  %-38s %10.2f  (%s %.2f)  %s\n", a.name, a.measured,
                    a.at_most ? "at most" : "at least", a.target, met(a) ? "met" : "missed");
    } else {
      std::snprintf(line, sizeof line, "  %-38s %10s\n", a.name, "not measured");
    }
    out << line;
  }
}

}  // namespace geyser::bench
