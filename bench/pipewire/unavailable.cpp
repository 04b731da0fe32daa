// run_pipewire_handoff when the bench was built without libpipewire-0.3.
#include "pipewire/scenario.hpp"

namespace geyser::bench {

PipewireOutcome run_pipewire_handoff(const Environment&, const PipewirePlan& plan) {
  PipewireOutcome outcome;
  outcome.status = PipewireOutcome::Status::Skipped;
  outcome.reason = "built without libpipewire-0.3";
  outcome.result.resolution = plan.resolution;
  return outcome;
}

}  // namespace geyser::bench
