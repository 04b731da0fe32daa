#include "common.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/texture.hpp"

namespace geyser::cli {
namespace {

std::optional<std::uint32_t> parse_dimension(std::string_view text) {
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (value == 0 || value > kMaxTextureDimension) return std::nullopt;
  return value;
}

bool is_color(TextureFormat format) {
  return format_info(format).kind == FormatKind::Color;
}

// "a, b, c" (separator ", ") or "a|b|c": the names of every value in `all`.
template <typename Enum, std::size_t N>
std::string name_list(const std::array<Enum, N>& all, std::string_view separator) {
  std::string out;
  for (const Enum value : all) {
    if (!out.empty()) out += separator;
    out += to_string(value);
  }
  return out;
}

// A check that `parse` takes the option's text; "unknown <what> 'x'; valid <plural>: ...".
template <typename Enum, std::size_t N, typename Parse>
CLI::Validator name_validator(const std::array<Enum, N>& all, Parse parse, std::string what,
                              std::string plural) {
  const std::string valid = name_list(all, ", ");
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        if (parse(text)) return {};
        return "unknown " + what + " '" + text + "'; valid " + plural + ": " + valid;
      },
      name_list(all, "|"), what);
}

}  // namespace

std::optional<Size> parse_size(std::string_view text) {
  const auto x = text.find_first_of("xX");
  if (x == std::string_view::npos) return std::nullopt;
  const auto width = parse_dimension(text.substr(0, x));
  const auto height = parse_dimension(text.substr(x + 1));
  if (!width || !height) return std::nullopt;
  return Size{*width, *height};
}

CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (parse_size(text)) return {};
        return "'" + text + "' is not a size: expected WIDTHxHEIGHT, e.g. 1280x720, each 1.." +
               std::to_string(kMaxTextureDimension);
      },
      "WIDTHxHEIGHT", "size");
}

std::string color_format_list() {
  std::string out;
  for (const FormatInfo& info : all_formats()) {
    if (info.kind != FormatKind::Color) continue;
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

CLI::Validator format_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto format = parse_format(text);
        if (format && is_color(*format)) return {};
        const std::string what = format ? "'" + text + "' is a depth format, which send cannot fill"
                                        : "unknown format '" + text + "'";
        return what + "; valid formats: " + color_format_list();
      },
      "FORMAT", "format");
}

CLI::Validator color_space_validator() {
  return name_validator(kAllColorSpaces, parse_color_space, "colour space", "colour spaces");
}

CLI::Validator alpha_mode_validator() {
  return name_validator(kAllAlphaModes, parse_alpha_mode, "alpha mode", "alpha modes");
}

CLI::Validator orientation_validator() {
  return name_validator(kAllOrientations, parse_orientation, "orientation", "orientations");
}

std::string color_text(const ColorDescription& color) {
  std::string out(to_string(color.space));
  out += '/';
  out += to_string(color.alpha);
  out += '/';
  out += to_string(color.orientation);
  return out;
}

CLI::Validator channel_name_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto valid = ipc::validate_channel_name(text);
        if (valid) return {};
        return valid.error().message();
      },
      "NAME", "channel name");
}

TextureFormat parse_color_format(std::string_view text) {
  return parse_format(text).value_or(TextureFormat::Rgba8Unorm);
}

std::optional<std::filesystem::path> open_runtime_dir(std::string_view command) {
  auto dir = ipc::runtime_dir();
  if (dir) return std::move(dir).value();
  const Error& error = dir.error();
  std::cerr << "geyser " << command << ": cannot use the runtime directory";
  if (auto path = ipc::runtime_dir_path()) std::cerr << ' ' << path->string();
  std::cerr << ": " << error.to_string() << '\n';
  std::cerr << runtime_dir_hint();
  return std::nullopt;
}

std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void LatencyStats::add(double microseconds) {
  if (samples_.size() < kLatencyWindow) {
    samples_.push_back(microseconds);
    return;
  }
  samples_[next_] = microseconds;
  next_ = (next_ + 1) % kLatencyWindow;
}

double LatencyStats::percentile(double p) const {
  if (samples_.empty()) return 0.0;
  std::vector<double> sorted = samples_;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const auto index =
      static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index),
                   sorted.end());
  return sorted[index];
}

StatusLine::StatusLine(std::FILE* out, std::chrono::milliseconds interval)
    : out_(out), tty_(is_terminal(out)), interval_(interval) {}

void StatusLine::update(const std::string& text, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    // \x1b[K clears what a longer previous line left on the right.
    std::fprintf(out_, "\r%s\x1b[K", text.c_str());
    open_ = true;
  } else {
    if (!force && last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
      return;
    }
    std::fprintf(out_, "%s\n", text.c_str());
  }
  last_ = now;
  std::fflush(out_);
}

void StatusLine::finish() {
  if (tty_ && open_) std::fputc('\n', out_);
  open_ = false;
  std::fflush(out_);
}

std::string format_latency(double microseconds) {
  char buffer[32];
  if (microseconds >= 1000.0) {
    std::snprintf(buffer, sizeof buffer, "%.2f ms", microseconds / 1000.0);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f us", microseconds);
  }
  return buffer;
}

}  // namespace geyser::cli
