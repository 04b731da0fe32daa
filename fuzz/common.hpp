// What the fuzz targets share: the framing that splits a fuzzer's input into messages.
//
// An input is a sequence of records: a flags byte, a little-endian u16 length and that many
// bytes of one message (a short last record takes what is left). The flags say what the
// harness does after sending the record (see each target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace geyser::fuzz {

/// Most records an input is split into: bounds the work per input.
inline constexpr std::size_t kMaxRecords = 64;

struct Record {
  std::uint8_t flags = 0;
  std::span<const std::uint8_t> bytes;
};

inline std::vector<Record> split_records(const std::uint8_t* data, std::size_t size) {
  std::vector<Record> records;
  std::size_t pos = 0;
  while (pos + 3 <= size && records.size() < kMaxRecords) {
    Record record;
    record.flags = data[pos];
    std::size_t length = std::size_t{data[pos + 1]} | (std::size_t{data[pos + 2]} << 8);
    pos += 3;
    if (length > size - pos) length = size - pos;
    record.bytes = std::span<const std::uint8_t>(data + pos, length);
    pos += length;
    records.push_back(record);
  }
  return records;
}

/// The handle count a message's header declares (bytes 12..13), 0 when it has no header.
inline std::size_t declared_handles(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 16) return 0;
  return std::size_t{bytes[12]} | (std::size_t{bytes[13]} << 8);
}

/// Reads little-endian fields from a record's bytes; past the end every byte reads as 0, so
/// that a short record still means something (the fuzzer need not find the exact length).
class FieldReader {
 public:
  explicit FieldReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t u64() { return take(8); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(take(4)); }
  /// What is left after the fields read so far (possibly empty).
  [[nodiscard]] std::span<const std::uint8_t> rest() const {
    return pos_ < bytes_.size() ? bytes_.subspan(pos_) : std::span<const std::uint8_t>();
  }

 private:
  std::uint64_t take(std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i, ++pos_) {
      if (pos_ < bytes_.size()) value |= std::uint64_t{bytes_[pos_]} << (8 * i);
    }
    return value;
  }
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

/// Little-endian fields appended to `out` (the seeds' side of FieldReader).
inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}
inline void put_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

/// Appends one record to `out`.
inline void append_record(std::vector<std::uint8_t>& out, std::uint8_t flags,
                          std::span<const std::uint8_t> bytes) {
  out.push_back(flags);
  out.push_back(static_cast<std::uint8_t>(bytes.size()));
  out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace geyser::fuzz
