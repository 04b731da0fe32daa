// The state behind fault_control.h. One mutex: the layer is a test tool, and calls from a
// sender's and a receiver's thread must count in a consistent order per owner.
#include "fault_state.hpp"

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace geyser::fault {
namespace {

struct Call {
  int owner = 0;
  std::string name;
  int occurrence = 0;
};

struct State {
  std::mutex mutex;
  int owners = 0;
  int owners_before_run = 0;  // owners created before the run keep their ordinal
  bool armed = false;
  bool recording = false;
  Call target;
  bool fired = false;
  VkResult result = VK_SUCCESS;
  std::map<std::pair<int, std::string>, int> seen;  // occurrences per (owner, name)
  std::vector<Call> log;
  std::array<long, GEYSER_FAULT_KIND_COUNT> live{};
};

State& state() {
  static State s;
  return s;
}

}  // namespace

int new_owner() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return s.owners++;
}

bool should_fail(int ordinal, const char* name, VkResult error) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.armed && !s.recording) return false;
  const int owner = ordinal < s.owners_before_run
                        ? ordinal
                        : GEYSER_FAULT_NEW_OWNER + (ordinal - s.owners_before_run);
  const int occurrence = s.seen[{owner, name}]++;
  if (s.recording) s.log.push_back(Call{owner, name, occurrence});
  if (!s.armed || s.fired) return false;
  if (owner != s.target.owner || occurrence != s.target.occurrence || s.target.name != name) {
    return false;
  }
  s.fired = true;
  s.result = error;
  return true;
}

void created(geyser_fault_kind kind) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  ++s.live[kind];
}

void destroyed(geyser_fault_kind kind) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  --s.live[kind];
}

}  // namespace geyser::fault

using geyser::fault::state;

extern "C" {

__attribute__((visibility("default"))) void geyser_fault_begin(int owner, const char* name,
                                                               int occurrence) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.seen.clear();
  s.log.clear();
  s.fired = false;
  s.result = VK_SUCCESS;
  s.armed = name != nullptr;
  s.recording = name == nullptr;
  s.target = {owner, name ? name : "", occurrence};
  s.owners_before_run = s.owners;
}

__attribute__((visibility("default"))) int geyser_fault_end(void) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.armed = false;
  s.recording = false;
  return s.fired ? 1 : 0;
}

__attribute__((visibility("default"))) size_t geyser_fault_log_size(void) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  return s.log.size();
}

__attribute__((visibility("default"))) int geyser_fault_log_entry(size_t index, int* owner,
                                                                  const char** name,
                                                                  int* occurrence) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (index >= s.log.size()) return 0;
  *owner = s.log[index].owner;
  *name = s.log[index].name.c_str();
  *occurrence = s.log[index].occurrence;
  return 1;
}

__attribute__((visibility("default"))) int geyser_fault_result(void) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  return static_cast<int>(s.result);
}

__attribute__((visibility("default"))) long geyser_fault_live(geyser_fault_kind kind) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  return kind < GEYSER_FAULT_KIND_COUNT ? s.live[kind] : 0;
}

__attribute__((visibility("default"))) const char* geyser_fault_kind_name(geyser_fault_kind kind) {
  static constexpr const char* kNames[] = {
      "VkInstance", "VkDevice",      "VkDeviceMemory",
      "VkImage",    "VkBuffer",      "VkSemaphore",
      "VkFence",    "VkCommandPool", "VkDebugUtilsMessengerEXT"};
  return kind < GEYSER_FAULT_KIND_COUNT ? kNames[kind] : "?";
}

__attribute__((visibility("default"))) int geyser_fault_owners_created(void) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  return s.owners;
}

}  // extern "C"
