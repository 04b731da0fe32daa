// The test side of the fault-injection layer: its control functions, found with dlsym in
// the copy of the layer the loader uses, and what the tests compare before and after a run.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "fault_control.h"

namespace geyser::test {

/// One failable call of a recording run: the `occurrence`-th call `name` made on `owner`.
struct FaultCall {
  int owner = 0;
  std::string name;
  int occurrence = 0;
  [[nodiscard]] std::string to_string() const;
};

/// The layer's control interface. load() before any VkInstance exists.
class FaultLayer {
 public:
  /// Loads the layer's library (the path the manifest names). An empty string on success,
  /// else why not.
  [[nodiscard]] std::string load(const char* path);

  void record() const { begin_(0, nullptr, 0); }
  void arm(const FaultCall& call) const { begin_(call.owner, call.name.c_str(), call.occurrence); }
  /// Ends the run; true when the armed call was reached and failed.
  bool end() const { return end_() != 0; }
  [[nodiscard]] std::vector<FaultCall> log() const;
  [[nodiscard]] int result() const { return result_(); }
  [[nodiscard]] int owners_created() const { return owners_(); }

  /// Live objects per kind.
  using Live = std::array<long, GEYSER_FAULT_KIND_COUNT>;
  [[nodiscard]] Live live() const;
  /// "VkImage +1, VkDeviceMemory +1" for what `after` has beyond `before`; empty when equal.
  [[nodiscard]] std::string difference(const Live& before, const Live& after) const;

 private:
  decltype(&geyser_fault_begin) begin_ = nullptr;
  decltype(&geyser_fault_end) end_ = nullptr;
  decltype(&geyser_fault_log_size) log_size_ = nullptr;
  decltype(&geyser_fault_log_entry) log_entry_ = nullptr;
  decltype(&geyser_fault_result) result_ = nullptr;
  decltype(&geyser_fault_live) live_ = nullptr;
  decltype(&geyser_fault_kind_name) kind_name_ = nullptr;
  decltype(&geyser_fault_owners_created) owners_ = nullptr;
};

}  // namespace geyser::test
