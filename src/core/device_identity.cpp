#include "geyser/device_identity.hpp"

#include <algorithm>

namespace geyser {

std::string to_string(const Uuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    // 8-4-4-4-12: dashes before bytes 4, 6, 8 and 10.
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[uuid[i] >> 4];
    out += kHex[uuid[i] & 0x0f];
  }
  return out;
}

bool is_zero(const Uuid& uuid) noexcept {
  return std::all_of(uuid.begin(), uuid.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace geyser
