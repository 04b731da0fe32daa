#include "pipe_frame.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace geyser::ipc::pipe_frame {
namespace {

struct Header {
  std::uint32_t magic = 0;
  std::uint16_t version = 0;
  std::uint16_t handle_count = 0;
  std::uint32_t byte_count = 0;
  std::uint32_t reserved = 0;
};
static_assert(sizeof(Header) == kHeaderSize);

// The header, when `frame` is long enough to hold one (little-endian: Windows on x86-64 and
// ARM64 both are).
bool read_header(std::span<const std::uint8_t> frame, Header& header) {
  if (frame.size() < kHeaderSize) return false;
  std::memcpy(&header, frame.data(), kHeaderSize);
  return true;
}

Result<std::span<const std::uint8_t>> malformed(const std::string& why) {
  return fail(ErrorCode::Protocol, "named pipe receive: malformed message: " + why);
}

}  // namespace

std::vector<std::uint8_t> encode(std::span<const std::uint64_t> handle_values,
                                 std::span<const std::uint8_t> bytes) {
  const Header header{kMagic, kVersion, static_cast<std::uint16_t>(handle_values.size()),
                      static_cast<std::uint32_t>(bytes.size()), 0};
  std::vector<std::uint8_t> frame(kHeaderSize + handle_values.size() * kHandleSize + bytes.size());
  std::memcpy(frame.data(), &header, kHeaderSize);
  if (!handle_values.empty()) {
    std::memcpy(frame.data() + kHeaderSize, handle_values.data(),
                handle_values.size() * kHandleSize);
  }
  std::copy(bytes.begin(), bytes.end(), frame.end() - static_cast<std::ptrdiff_t>(bytes.size()));
  return frame;
}

std::vector<std::uint64_t> handle_values(std::span<const std::uint8_t> frame) {
  Header header;
  if (!read_header(frame, header) || header.magic != kMagic) return {};
  const std::size_t present = (frame.size() - kHeaderSize) / kHandleSize;
  std::vector<std::uint64_t> values(std::min<std::size_t>(header.handle_count, present));
  if (!values.empty()) {
    std::memcpy(values.data(), frame.data() + kHeaderSize, values.size() * kHandleSize);
  }
  return values;
}

Result<std::span<const std::uint8_t>> payload(std::span<const std::uint8_t> frame) {
  Header header;
  if (!read_header(frame, header)) {
    return malformed(std::to_string(frame.size()) + " bytes, shorter than the header");
  }
  if (header.magic != kMagic || header.version != kVersion || header.reserved != 0) {
    return malformed("not a Geyser pipe frame (magic, version or reserved word)");
  }
  if (header.byte_count == 0) return malformed("no bytes");
  const std::size_t expected =
      kHeaderSize + std::size_t{header.handle_count} * kHandleSize + header.byte_count;
  if (expected != frame.size()) {
    return malformed("the header says " + std::to_string(expected) + " bytes, the message has " +
                     std::to_string(frame.size()));
  }
  return frame.subspan(frame.size() - header.byte_count);
}

}  // namespace geyser::ipc::pipe_frame
