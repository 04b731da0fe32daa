// A minimal JSON writer for the benchmark report: objects, arrays, strings and numbers,
// pretty-printed. Non-finite numbers are written as null (JSON has no NaN or infinity).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "stats.hpp"

namespace geyser::bench {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  void begin_object(std::string_view key = {});
  void end_object();
  void begin_array(std::string_view key = {});
  void end_array();
  void string(std::string_view key, std::string_view value);
  void number(std::string_view key, double value);
  void integer(std::string_view key, std::uint64_t value);
  void signed_integer(std::string_view key, std::int64_t value);
  void boolean(std::string_view key, bool value);

 private:
  void prefix(std::string_view key);
  void quoted(std::string_view text);

  std::ostream& out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
};

/// Writes `key`: {count, min, p50, p90, p99, max, mean} of `s`.
void write_summary(JsonWriter& json, std::string_view key, const Summary& s);

}  // namespace geyser::bench
