#include "geyser/device_selector.hpp"

#include <algorithm>
#include <charconv>

namespace geyser {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::uint32_t> parse_index(std::string_view text) noexcept {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string device_list(std::span<const ListedDevice> devices) {
  if (devices.empty()) return "none";
  std::string out;
  for (const ListedDevice& d : devices) {
    out += (out.empty() ? "" : "; ") + std::to_string(d.index) + ": " + d.name + " (UUID " +
           to_string(d.uuid) + ")";
  }
  return out;
}

}  // namespace

std::optional<Uuid> parse_uuid(std::string_view text) noexcept {
  Uuid uuid{};
  std::size_t digits = 0;
  for (const char c : text) {
    if (c == '-') continue;
    const int value = hex_value(c);
    if (value < 0 || digits == 32) return std::nullopt;
    uuid[digits / 2] = static_cast<std::uint8_t>(uuid[digits / 2] << 4 | value);
    ++digits;
  }
  if (digits != 32) return std::nullopt;
  return uuid;
}

std::optional<DeviceSelector> parse_device_spec(std::string_view spec) {
  if (spec.empty()) return std::nullopt;
  DeviceSelector selector;
  // A UUID first: 32 decimal digits are a UUID, not an index.
  if (auto uuid = parse_uuid(spec)) {
    selector.uuid = uuid;
  } else if (auto index = parse_index(spec)) {
    selector.index = index;
  } else {
    selector.name_contains = std::string(spec);
  }
  return selector;
}

std::string to_string(const DeviceSelector& selector) {
  std::string out;
  const auto add = [&](const std::string& part) { out += (out.empty() ? "" : " and ") + part; };
  if (selector.index) add("index " + std::to_string(*selector.index));
  if (selector.uuid) add("UUID " + to_string(*selector.uuid));
  if (!selector.name_contains.empty()) add("name containing \"" + selector.name_contains + "\"");
  return out.empty() ? "any device" : out;
}

bool matches(const DeviceSelector& selector, const ListedDevice& device) noexcept {
  if (selector.index && *selector.index != device.index) return false;
  if (selector.uuid && *selector.uuid != device.uuid) return false;
  return device.name.find(selector.name_contains) != std::string::npos;
}

Result<ListedDevice> find_device(const DeviceSelector& selector,
                                 std::span<const ListedDevice> devices, std::string_view api) {
  const auto match = std::find_if(devices.begin(), devices.end(),
                                  [&](const ListedDevice& d) { return matches(selector, d); });
  if (match != devices.end()) return *match;
  return fail(ErrorCode::Validation, "no " + std::string(api) + " device has " +
                                         to_string(selector) + "; the " + std::string(api) +
                                         " devices are: " + device_list(devices));
}

}  // namespace geyser
