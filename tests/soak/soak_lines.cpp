#include "soak/soak_lines.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>

#include "soak/soak_peer.hpp"

namespace geyser::soak {
namespace {

bool is_frame(const std::string& line) {
  return starts_with(line, "frame ");
}

// "frame F gen G WxH conn C ok": the receiver's verdict is "ok", not "bad <mismatch>".
bool frame_ok(const std::string& line) {
  unsigned long long frame = 0, gen = 0, conn = 0;
  unsigned width = 0, height = 0;
  char verdict[8] = {};
  return std::sscanf(line.c_str(), "frame %llu gen %llu %ux%u conn %llu %7s", &frame, &gen, &width,
                     &height, &conn, verdict) == 6 &&
         std::string_view(verdict) == "ok";
}

// The T of "<prefix> ns T ...".
std::optional<std::uint64_t> ns_of(const std::string& line, const char* format) {
  unsigned long long ns = 0;
  if (std::sscanf(line.c_str(), format, &ns) != 1) return std::nullopt;
  return ns;
}

}  // namespace

LinePredicate has_prefix(std::string prefix, std::size_t from) {
  return [prefix = std::move(prefix), from](const std::vector<std::string>& lines) {
    for (std::size_t i = from; i < lines.size(); ++i) {
      if (starts_with(lines[i], prefix)) return true;
    }
    return false;
  };
}

LinePredicate has_frames_after(std::size_t from, std::size_t count) {
  return [=](const std::vector<std::string>& lines) {
    std::size_t n = 0;
    for (std::size_t i = from; i < lines.size() && n < count; ++i) n += is_frame(lines[i]);
    return n >= count;
  };
}

LinePredicate has_connections(std::size_t count) {
  return [count](const std::vector<std::string>& lines) {
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [](auto& l) {
             return starts_with(l, "first ns ");
           })) >= count;
  };
}

std::optional<ProcSample> proc_after_frames(const std::vector<std::string>& lines, std::size_t from,
                                            std::size_t frames) {
  std::size_t seen = 0;
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (is_frame(lines[i])) ++seen;
    if (seen < frames) continue;
    unsigned long long fds = 0, rss = 0;
    if (std::sscanf(lines[i].c_str(), "proc fds %llu rss %llu", &fds, &rss) == 2) {
      return ProcSample{fds, rss};
    }
  }
  return std::nullopt;
}

std::size_t frame_lines(const std::vector<std::string>& lines) {
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), is_frame));
}

ReconnectTimes reconnect_times(const std::vector<std::string>& lines) {
  ReconnectTimes out;
  std::optional<std::uint64_t> down;
  for (const std::string& line : lines) {
    if (auto ns = ns_of(line, "disconnected ns %llu")) {
      if (down) ++out.incomplete;  // cannot happen: a frame comes between two disconnects
      down = ns;
    } else if (auto up = ns_of(line, "first ns %llu"); up && down) {
      out.ms.push_back(static_cast<double>(*up - *down) / 1e6);
      down.reset();
    }
  }
  if (down) ++out.incomplete;
  return out;
}

std::vector<std::string> problem_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    long checked = 0, bad = 0, stale = 0;
    unsigned long long errors = 0;
    const bool bad_frame = is_frame(line) && !frame_ok(line);
    const bool bad_held =
        starts_with(line, "held ") && !line.ends_with(" ok") && line != "held none";
    const bool bad_summary = std::sscanf(line.c_str(), "summary checked %ld bad %ld stale %ld",
                                         &checked, &bad, &stale) == 3 &&
                             (bad > 0 || stale > 0);
    const bool validation =
        std::sscanf(line.c_str(), "validation %llu", &errors) == 1 && errors > 0;
    if (bad_frame || bad_held || bad_summary || validation || starts_with(line, "stale") ||
        starts_with(line, "error")) {
      out.push_back(line);
    }
  }
  return out;
}

bool ended_with_validation_zero(const std::vector<std::string>& lines) {
  return !lines.empty() && lines.back() == "validation 0";
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

}  // namespace geyser::soak
