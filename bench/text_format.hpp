// printf-style formatting into a std::string, for the benchmarks' text reports.
#pragma once

#include <cstdio>
#include <string>

namespace geyser::bench {

/// `format` with `args` as snprintf formats them, cut at 511 characters.
template <typename... Args>
[[nodiscard]] std::string fmt(const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

}  // namespace geyser::bench
