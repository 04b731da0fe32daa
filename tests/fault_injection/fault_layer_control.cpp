#include "fault_layer_control.hpp"

#include <dlfcn.h>

namespace geyser::test {

std::string FaultCall::to_string() const {
  return name + " #" + std::to_string(occurrence) + " on owner " + std::to_string(owner);
}

namespace {

template <typename Function>
bool resolve(void* library, const char* name, Function& out) {
  out = reinterpret_cast<Function>(::dlsym(library, name));
  return out != nullptr;
}

}  // namespace

std::string FaultLayer::load(const char* path) {
  // Never closed: the loader holds the same copy for as long as instances exist.
  void* library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return std::string("dlopen: ") + ::dlerror();
  const bool all = resolve(library, "geyser_fault_begin", begin_) &&
                   resolve(library, "geyser_fault_end", end_) &&
                   resolve(library, "geyser_fault_log_size", log_size_) &&
                   resolve(library, "geyser_fault_log_entry", log_entry_) &&
                   resolve(library, "geyser_fault_result", result_) &&
                   resolve(library, "geyser_fault_live", live_) &&
                   resolve(library, "geyser_fault_kind_name", kind_name_) &&
                   resolve(library, "geyser_fault_owners_created", owners_);
  return all ? std::string() : std::string("dlsym: ") + ::dlerror();
}

std::vector<FaultCall> FaultLayer::log() const {
  std::vector<FaultCall> calls;
  const std::size_t size = log_size_();
  for (std::size_t i = 0; i < size; ++i) {
    FaultCall call;
    const char* name = nullptr;
    if (log_entry_(i, &call.owner, &name, &call.occurrence) == 0) break;
    call.name = name;
    calls.push_back(std::move(call));
  }
  return calls;
}

FaultLayer::Live FaultLayer::live() const {
  Live live{};
  for (int kind = 0; kind < GEYSER_FAULT_KIND_COUNT; ++kind) {
    live[kind] = live_(static_cast<geyser_fault_kind>(kind));
  }
  return live;
}

std::string FaultLayer::difference(const Live& before, const Live& after) const {
  std::string text;
  for (int kind = 0; kind < GEYSER_FAULT_KIND_COUNT; ++kind) {
    const long delta = after[kind] - before[kind];
    if (delta == 0) continue;
    if (!text.empty()) text += ", ";
    text += kind_name_(static_cast<geyser_fault_kind>(kind));
    text += (delta > 0 ? " +" : " ") + std::to_string(delta);
  }
  return text;
}

}  // namespace geyser::test
