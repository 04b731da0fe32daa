#include "geyser/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace geyser {

std::string_view to_string(Transfer transfer) noexcept {
  switch (transfer) {
    case Transfer::Device: return "device";
    case Transfer::Host: return "host";
  }
  return "unknown";
}

std::string_view to_string(TransferRequest request) noexcept {
  switch (request) {
    case TransferRequest::Device: return "device";
    case TransferRequest::Auto: return "auto";
    case TransferRequest::Host: return "host";
  }
  return "unknown";
}

std::optional<TransferRequest> parse_transfer_request(std::string_view text) noexcept {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (TransferRequest r :
       {TransferRequest::Device, TransferRequest::Auto, TransferRequest::Host}) {
    if (lower == to_string(r)) return r;
  }
  return std::nullopt;
}

std::optional<Transfer> choose_transfer(TransferRequest request, bool same_device) noexcept {
  switch (request) {
    case TransferRequest::Device:
      if (same_device) return Transfer::Device;
      return std::nullopt;
    case TransferRequest::Auto: return same_device ? Transfer::Device : Transfer::Host;
    case TransferRequest::Host: return Transfer::Host;
  }
  return std::nullopt;
}

std::uint32_t host_row_pitch(std::uint32_t width, TextureFormat format) noexcept {
  const std::uint64_t tight = std::uint64_t{width} * format_info(format).texel_size;
  return static_cast<std::uint32_t>((tight + kHostRowAlignment - 1) / kHostRowAlignment *
                                    kHostRowAlignment);
}

std::uint64_t host_slot_size(std::uint32_t width, std::uint32_t height,
                             TextureFormat format) noexcept {
  const std::uint64_t bytes = std::uint64_t{host_row_pitch(width, format)} * height;
  return (bytes + kHostSlotAlignment - 1) / kHostSlotAlignment * kHostSlotAlignment;
}

}  // namespace geyser
