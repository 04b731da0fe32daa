#include "geyser/ipc/wire.hpp"

#include <algorithm>
#include <cstdio>
#include <type_traits>

#include "geyser/format.hpp"

namespace geyser::ipc {

// The wire carries these enums as their underlying values: docs/protocol.md lists them and
// a reordering here would silently change the protocol. Pin them.
static_assert(static_cast<int>(SyncMode::Gpu) == 0 && static_cast<int>(SyncMode::Cpu) == 1);
static_assert(static_cast<int>(MemoryHandleType::OpaqueFd) == 0 &&
              static_cast<int>(MemoryHandleType::OpaqueWin32) == 1 &&
              static_cast<int>(MemoryHandleType::HostMemfd) == 2);
static_assert(static_cast<int>(TransferRequest::Device) == 0 &&
              static_cast<int>(TransferRequest::Auto) == 1 &&
              static_cast<int>(TransferRequest::Host) == 2);
static_assert(static_cast<int>(ErrorCode::Validation) == 0 &&
              static_cast<int>(ErrorCode::Protocol) == 8 &&
              static_cast<int>(ErrorCode::Internal) == 9);
static_assert(static_cast<int>(TextureFormat::Rgba8Unorm) == 0 &&
              static_cast<int>(TextureFormat::Rgba16Float) == 13 &&
              static_cast<int>(TextureFormat::Depth24PlusStencil8) == 27);

namespace {

// Body sizes of the fixed-layout messages (docs/protocol.md gives the offsets).
constexpr std::size_t kHelloBodySize = 40;
constexpr std::size_t kStreamDescriptionBodySize = 116;
constexpr std::size_t kDescriptionBodySize = 44;
constexpr std::size_t kErrorFixedSize = 4;  // code u16, text length u16, then the text
static_assert(kErrorFixedSize + kMaxErrorTextSize <= kMaxBodySize);

constexpr std::uint8_t kCapTimelineExport = 1u << 0;
constexpr std::uint8_t kCapTimelineImport = 1u << 1;
constexpr std::uint16_t kErrorCodeCount = static_cast<std::uint16_t>(ErrorCode::Internal) + 1;

// Little-endian writer: every multi-byte value is written byte by byte, so the output does
// not depend on the host's byte order or on struct layout.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { put(value, 2); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u64(std::uint64_t value) { put(value, 8); }
  void bytes(std::span<const std::uint8_t> data) {
    out_.insert(out_.end(), data.begin(), data.end());
  }
  void zeros(std::size_t count) { out_.insert(out_.end(), count, 0); }

 private:
  void put(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

// Little-endian reader over a span. Reads past the end return 0 and set overrun(); the
// decoder checks exact sizes first, so that is a second line of defence, never UB.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  void bytes(std::span<std::uint8_t> out) {
    if (!ensure(out.size())) return;
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), out.size(), out.begin());
    pos_ += out.size();
  }
  // Reads `count` bytes; true if all of them are zero.
  bool zeros(std::size_t count) {
    bool all_zero = true;
    for (std::size_t i = 0; i < count; ++i) all_zero = (u8() == 0) && all_zero;
    return all_zero;
  }
  [[nodiscard]] bool overrun() const noexcept { return overrun_; }

 private:
  bool ensure(std::size_t size) {
    if (overrun_ || data_.size() - pos_ < size) {
      overrun_ = true;
      return false;
    }
    return true;
  }
  std::uint64_t get(int size) {
    if (!ensure(static_cast<std::size_t>(size))) return 0;
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
      value |= static_cast<std::uint64_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(size);
    return value;
  }
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool overrun_ = false;
};

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

tl::unexpected<Error> protocol(MessageType type, const std::string& what) {
  return fail(ErrorCode::Protocol, "decode " + std::string(to_string(type)) + ": " + what);
}
tl::unexpected<Error> invalid(const char* encoder, const std::string& what) {
  return fail(ErrorCode::Validation, std::string(encoder) + ": " + what);
}

bool known_format(std::uint16_t value) {
  return value < all_formats().size();
}
bool known_sync_mode(std::uint8_t value) {
  return value <= static_cast<std::uint8_t>(SyncMode::Cpu);
}
bool known_handle_type(std::uint8_t value) {
  return value <= static_cast<std::uint8_t>(MemoryHandleType::HostMemfd);
}

bool known_transfer_request(std::uint8_t value) {
  return value <= static_cast<std::uint8_t>(TransferRequest::Host);
}

// What is wrong with rows `row_pitch` apart in slots of `slot_bytes` (`what` names them),
// or empty: a multiple of the texel size, at least a row, all rows in a slot, one mip level
// and one layer.
std::string linear_problem(const StreamDescription& m, const char* what) {
  const FormatInfo& format = format_info(m.descriptor.format);
  const std::uint64_t tight = std::uint64_t{m.descriptor.width} * format.texel_size;
  if (format.kind != FormatKind::Color || m.row_pitch < tight ||
      m.row_pitch % format.texel_size != 0) {
    return "row pitch " + std::to_string(m.row_pitch) + " does not fit " +
           std::to_string(m.descriptor.width) + " texels of " + std::string(format.name);
  }
  if (m.image.allocation_size < std::uint64_t{m.row_pitch} * m.descriptor.height) {
    return std::string(what) + " of " + std::to_string(m.image.allocation_size) +
           " bytes cannot hold " + std::to_string(m.descriptor.height) + " rows of " +
           std::to_string(m.row_pitch);
  }
  if (m.descriptor.mip_levels != 1 || m.descriptor.array_layers != 1) {
    return std::string(what) + " have one mip level and one layer";
  }
  return {};
}

// What is wrong with a stream description's memory layout, or empty. Host frames
// (HostMemfd) are linear: rows `row_pitch` apart, a multiple of the texel size, each slot's
// memfd big enough for all rows, cpu sync and no Vulkan image facts. Device memory is an
// optimal image (row pitch 0) or a linear one (VK_IMAGE_TILING_LINEAR, rows `row_pitch`
// apart from offset 0, as for host frames).
std::string layout_problem(const StreamDescription& m) {
  if (m.handle_type != MemoryHandleType::HostMemfd) {
    if (m.image.tiling == kVkTilingLinear) return linear_problem(m, "linear slots");
    if (m.row_pitch != 0) return "row pitch " + std::to_string(m.row_pitch) + " on an image";
    return {};
  }
  if (std::string problem = linear_problem(m, "host slots"); !problem.empty()) return problem;
  if (m.sync_mode != SyncMode::Cpu) return "host frames are synchronized in cpu mode";
  const VulkanImageInfo& i = m.image;
  if (i.vk_format != 0 || i.tiling != 0 || i.usage != 0 || i.create_flags != 0 ||
      i.memory_type_index != 0 || i.dedicated) {
    return "host frames carry no Vulkan image facts";
  }
  return {};
}

// Length of the well-formed UTF-8 sequence at text[i], or 0 if it is malformed (overlong,
// surrogate, above U+10FFFF, truncated).
std::size_t utf8_sequence(std::span<const std::uint8_t> text, std::size_t i) {
  const std::uint8_t lead = text[i];
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (text[i + 1] < low || text[i + 1] > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (text[i + k] < 0x80 || text[i + k] > 0xBF) return 0;
  }
  return length;
}

bool valid_utf8(std::span<const std::uint8_t> text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// Valid UTF-8 of at most kMaxErrorTextSize bytes: malformed bytes become '?', and the text
// is cut before the first sequence that would not fit.
std::vector<std::uint8_t> bounded_utf8(std::string_view text) {
  const std::span<const std::uint8_t> in(reinterpret_cast<const std::uint8_t*>(text.data()),
                                         text.size());
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t length = utf8_sequence(in, i);
    const std::size_t take = length == 0 ? 1 : length;
    if (out.size() + take > kMaxErrorTextSize) break;
    if (length == 0) {
      out.push_back('?');
    } else {
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
                 in.begin() + static_cast<std::ptrdiff_t>(i + length));
    }
    i += take;
  }
  return out;
}

EncodedMessage finish(MessageType type, const std::vector<std::uint8_t>& body,
                      std::vector<NativeHandle> handles) {
  EncodedMessage out;
  out.bytes.reserve(kHeaderSize + body.size());
  ByteWriter writer(out.bytes);
  writer.u32(kWireMagic);
  writer.u16(kProtocolVersion);
  writer.u16(static_cast<std::uint16_t>(type));
  writer.u32(static_cast<std::uint32_t>(body.size()));
  writer.u16(static_cast<std::uint16_t>(handles.size()));
  writer.u16(0);  // reserved
  writer.bytes(body);
  out.handles = std::move(handles);
  return out;
}

void write_uuid(ByteWriter& writer, const Uuid& uuid) {
  writer.bytes(uuid);
}
Uuid read_uuid(ByteReader& reader) {
  Uuid uuid{};
  reader.bytes(uuid);
  return uuid;
}

Result<void> check_body_size(MessageType type, std::size_t actual, std::size_t expected) {
  if (actual != expected) {
    return protocol(type, "body is " + std::to_string(actual) + " bytes, the layout has " +
                              std::to_string(expected));
  }
  return {};
}

Result<void> check_no_handles(MessageType type, const std::vector<UniqueHandle>& handles) {
  if (!handles.empty()) {
    return protocol(type,
                    std::to_string(handles.size()) + " handles attached; this type carries none");
  }
  return {};
}

Result<void> check_reserved(MessageType type, bool all_zero) {
  if (!all_zero) return protocol(type, "reserved bytes are not zero");
  return {};
}

Result<void> check_extent(MessageType type, std::uint32_t width, std::uint32_t height) {
  if (width == 0 || width > kMaxTextureDimension || height == 0 || height > kMaxTextureDimension) {
    return protocol(type, "extent " + std::to_string(width) + "x" + std::to_string(height) +
                              " is out of range 1.." + std::to_string(kMaxTextureDimension));
  }
  return {};
}

// --- decoders, one per type. `body` has exactly the header's body size. ---

void write_color(ByteWriter& writer, const ColorDescription& color) {
  writer.u8(static_cast<std::uint8_t>(color.space));
  writer.u8(static_cast<std::uint8_t>(color.alpha));
  writer.u8(static_cast<std::uint8_t>(color.orientation));
  writer.zeros(1);
}

Result<void> read_color(MessageType type, ByteReader& reader, ColorDescription& color) {
  color.space = static_cast<ColorSpace>(reader.u8());
  color.alpha = static_cast<AlphaMode>(reader.u8());
  color.orientation = static_cast<Orientation>(reader.u8());
  GEYSER_TRY_VOID(check_reserved(type, reader.zeros(1)));
  if (!is_known(color)) {
    return protocol(
        type, "colour description (space " + std::to_string(static_cast<int>(color.space)) +
                  ", alpha " + std::to_string(static_cast<int>(color.alpha)) + ", orientation " +
                  std::to_string(static_cast<int>(color.orientation)) + ") has unknown values");
  }
  return {};
}

Result<Message> decode_hello(std::span<const std::uint8_t> body, std::vector<UniqueHandle>& handles,
                             std::uint16_t header_version) {
  constexpr MessageType kType = MessageType::Hello;
  GEYSER_TRY_VOID(check_body_size(kType, body.size(), kHelloBodySize));
  GEYSER_TRY_VOID(check_no_handles(kType, handles));
  ByteReader reader(body);
  Hello hello;
  hello.protocol_version = reader.u16();
  const std::uint8_t caps = reader.u8();
  const std::uint8_t transfer = reader.u8();
  hello.client_pid = reader.u32();
  hello.identity.driver_uuid = read_uuid(reader);
  hello.identity.device_uuid = read_uuid(reader);
  if (hello.protocol_version != header_version) {
    return protocol(kType, "protocol version " + std::to_string(hello.protocol_version) +
                               " differs from the header's " + std::to_string(header_version));
  }
  if ((caps & ~(kCapTimelineExport | kCapTimelineImport)) != 0) {
    return protocol(kType, "unknown capability bits " + hex32(caps));
  }
  if (!known_transfer_request(transfer)) {
    return protocol(kType, "transfer request " + std::to_string(transfer) +
                               " is not 0 (device), 1 (auto) or 2 (host)");
  }
  hello.transfer = static_cast<TransferRequest>(transfer);
  hello.sync.timeline_export = (caps & kCapTimelineExport) != 0;
  hello.sync.timeline_import = (caps & kCapTimelineImport) != 0;
  return hello;
}

Result<Message> decode_stream_description(std::span<const std::uint8_t> body,
                                          std::vector<UniqueHandle>& handles) {
  constexpr MessageType kType = MessageType::StreamDescription;
  GEYSER_TRY_VOID(check_body_size(kType, body.size(), kStreamDescriptionBodySize));
  ByteReader reader(body);
  StreamDescription message;
  message.generation = reader.u64();
  const std::uint8_t slot_count = reader.u8();
  const std::uint8_t sync_mode = reader.u8();
  const std::uint8_t handle_type = reader.u8();
  const std::uint8_t dedicated = reader.u8();
  message.descriptor.width = reader.u32();
  message.descriptor.height = reader.u32();
  const std::uint16_t format = reader.u16();
  bool reserved_zero = reader.zeros(2);
  message.descriptor.usage = static_cast<TextureUsage>(reader.u32());
  message.descriptor.mip_levels = reader.u32();
  message.descriptor.array_layers = reader.u32();
  message.image.vk_format = reader.u32();
  message.image.tiling = reader.u32();
  message.image.usage = reader.u32();
  message.image.create_flags = reader.u32();
  message.image.memory_type_index = reader.u32();
  message.image.allocation_size = reader.u64();
  message.identity.driver_uuid = read_uuid(reader);
  message.identity.device_uuid = read_uuid(reader);
  GEYSER_TRY_VOID(read_color(kType, reader, message.color));
  message.first_frame = reader.u64();
  message.row_pitch = reader.u32();
  const bool tail_zero = reader.zeros(4);
  if (message.first_frame == 0) return protocol(kType, "first frame is 0");

  if (slot_count == 0 || slot_count > kMaxSlots) {
    return protocol(kType, "slot count " + std::to_string(slot_count) + " is out of range 1.." +
                               std::to_string(kMaxSlots));
  }
  const std::size_t expected_handles =
      kHandlesPerStream + std::size_t{slot_count} * kHandlesPerSlot;
  if (handles.size() != expected_handles) {
    return protocol(kType, std::to_string(slot_count) + " slots need " +
                               std::to_string(expected_handles) + " handles (board, page and " +
                               std::to_string(kHandlesPerSlot) + " per slot), " +
                               std::to_string(handles.size()) + " attached");
  }
  if (!known_sync_mode(sync_mode)) {
    return protocol(kType, "sync mode " + std::to_string(sync_mode) + " is not 0 (gpu) or 1 (cpu)");
  }
  if (!known_handle_type(handle_type)) {
    return protocol(kType, "handle type " + std::to_string(handle_type) + " is unknown");
  }
  if (dedicated > 1) {
    return protocol(kType, "dedicated flag " + std::to_string(dedicated) + " is not 0 or 1");
  }
  GEYSER_TRY_VOID(check_reserved(kType, reserved_zero && tail_zero));
  // Range-check before the cast: format_info() aborts on values outside the enum.
  if (!known_format(format)) {
    return protocol(kType, "format " + std::to_string(format) + " is not a known TextureFormat");
  }
  message.descriptor.format = static_cast<TextureFormat>(format);
  if (auto valid = validate(message.descriptor); !valid) {
    return protocol(kType, valid.error().message());
  }
  if (message.image.allocation_size == 0) return protocol(kType, "allocation size is 0");
  message.sync_mode = static_cast<SyncMode>(sync_mode);
  message.handle_type = static_cast<MemoryHandleType>(handle_type);
  message.image.dedicated = dedicated == 1;
  if (std::string problem = layout_problem(message); !problem.empty()) {
    return protocol(kType, problem);
  }
  message.board = std::move(handles[0]);
  message.page = std::move(handles[1]);
  message.slots.resize(slot_count);
  for (std::size_t slot = 0; slot < slot_count; ++slot) {
    const std::size_t first = kHandlesPerStream + slot * kHandlesPerSlot;
    message.slots[slot].memory = std::move(handles[first + 0]);
    message.slots[slot].ready = std::move(handles[first + 1]);
    message.slots[slot].released = std::move(handles[first + 2]);
  }
  handles.clear();
  return message;
}

Result<Message> decode_description(std::span<const std::uint8_t> body,
                                   std::vector<UniqueHandle>& handles) {
  constexpr MessageType kType = MessageType::Description;
  GEYSER_TRY_VOID(check_body_size(kType, body.size(), kDescriptionBodySize));
  GEYSER_TRY_VOID(check_no_handles(kType, handles));
  ByteReader reader(body);
  Description message;
  message.width = reader.u32();
  message.height = reader.u32();
  const std::uint16_t format = reader.u16();
  const std::uint8_t sync_mode = reader.u8();
  const bool reserved_zero = reader.zeros(1);
  message.fps_milli = reader.u32();
  message.frame_count = reader.u64();
  message.receiver_count = reader.u32();
  message.sender_pid = reader.u32();
  message.protocol_version = reader.u16();
  if (message.protocol_version != kProtocolVersion) {
    return protocol(kType, "protocol version " + std::to_string(message.protocol_version) +
                               " differs from the header's " + std::to_string(kProtocolVersion));
  }
  GEYSER_TRY_VOID(read_color(kType, reader, message.color));
  const bool tail_zero = reader.zeros(2);
  message.host_receiver_count = reader.u32();
  GEYSER_TRY_VOID(check_reserved(kType, reserved_zero && tail_zero));
  GEYSER_TRY_VOID(check_extent(kType, message.width, message.height));
  if (message.host_receiver_count > message.receiver_count) {
    return protocol(kType, std::to_string(message.host_receiver_count) + " host receivers of " +
                               std::to_string(message.receiver_count));
  }
  if (!known_format(format)) {
    return protocol(kType, "format " + std::to_string(format) + " is not a known TextureFormat");
  }
  if (!known_sync_mode(sync_mode)) {
    return protocol(kType, "sync mode " + std::to_string(sync_mode) + " is not 0 (gpu) or 1 (cpu)");
  }
  message.format = static_cast<TextureFormat>(format);
  message.sync_mode = static_cast<SyncMode>(sync_mode);
  return message;
}

Result<Message> decode_error(std::span<const std::uint8_t> body,
                             std::vector<UniqueHandle>& handles) {
  constexpr MessageType kType = MessageType::Error;
  GEYSER_TRY_VOID(check_no_handles(kType, handles));
  if (body.size() < kErrorFixedSize) {
    return protocol(kType, "body is " + std::to_string(body.size()) + " bytes, at least " +
                               std::to_string(kErrorFixedSize) + " needed");
  }
  ByteReader reader(body);
  const std::uint16_t code = reader.u16();
  const std::uint16_t length = reader.u16();
  if (code >= kErrorCodeCount) {
    return protocol(kType, "error code " + std::to_string(code) + " is unknown");
  }
  if (length > kMaxErrorTextSize) {
    return protocol(kType, "text of " + std::to_string(length) + " bytes is over the limit of " +
                               std::to_string(kMaxErrorTextSize));
  }
  GEYSER_TRY_VOID(check_body_size(kType, body.size(), kErrorFixedSize + length));
  const auto text = body.subspan(kErrorFixedSize, length);
  if (!valid_utf8(text)) return protocol(kType, "text is not valid UTF-8");
  ErrorMessage message;
  message.code = static_cast<ErrorCode>(code);
  message.text.assign(text.begin(), text.end());
  return message;
}

// Overloads for encode(Message).
Result<EncodedMessage> encode_any(const Hello& m) {
  return encode_hello(m);
}
Result<EncodedMessage> encode_any(const StreamDescription& m) {
  return encode_stream_description(m);
}
Result<EncodedMessage> encode_any(const DescribeRequest& m) {
  return encode_describe_request(m);
}
Result<EncodedMessage> encode_any(const Description& m) {
  return encode_description(m);
}
Result<EncodedMessage> encode_any(const Goodbye& m) {
  return encode_goodbye(m);
}
Result<EncodedMessage> encode_any(const ErrorMessage& m) {
  return encode_error(m);
}

}  // namespace

std::string_view to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::Hello: return "Hello";
    case MessageType::StreamDescription: return "StreamDescription";
    case MessageType::DescribeRequest: return "DescribeRequest";
    case MessageType::Description: return "Description";
    case MessageType::Goodbye: return "Goodbye";
    case MessageType::Error: return "Error";
  }
  return "Unknown";
}

MessageType message_type(const Message& message) noexcept {
  // In the order of the Message variant's alternatives.
  constexpr MessageType kTypes[] = {MessageType::Hello,           MessageType::StreamDescription,
                                    MessageType::DescribeRequest, MessageType::Description,
                                    MessageType::Goodbye,         MessageType::Error};
  static_assert(std::size(kTypes) == std::variant_size_v<Message>);
  return kTypes[message.index()];
}

Result<EncodedMessage> encode_hello(const Hello& message) {
  if (message.protocol_version != kProtocolVersion) {
    return invalid("encode_hello", "protocol version " + std::to_string(message.protocol_version) +
                                       " is not the one this build speaks (" +
                                       std::to_string(kProtocolVersion) + ")");
  }
  if (!known_transfer_request(static_cast<std::uint8_t>(message.transfer))) {
    return invalid(
        "encode_hello",
        "transfer request " + std::to_string(static_cast<int>(message.transfer)) + " is unknown");
  }
  std::vector<std::uint8_t> body;
  ByteWriter writer(body);
  writer.u16(message.protocol_version);
  writer.u8(static_cast<std::uint8_t>((message.sync.timeline_export ? kCapTimelineExport : 0) |
                                      (message.sync.timeline_import ? kCapTimelineImport : 0)));
  writer.u8(static_cast<std::uint8_t>(message.transfer));
  writer.u32(message.client_pid);
  write_uuid(writer, message.identity.driver_uuid);
  write_uuid(writer, message.identity.device_uuid);
  return finish(MessageType::Hello, body, {});
}

Result<EncodedMessage> encode_stream_description(const StreamDescription& message) {
  constexpr const char* kWhat = "encode_stream_description";
  if (message.slots.empty() || message.slots.size() > kMaxSlots) {
    return invalid(kWhat, "slot count " + std::to_string(message.slots.size()) +
                              " is out of range 1.." + std::to_string(kMaxSlots));
  }
  if (auto valid = validate(message.descriptor); !valid) {
    return invalid(kWhat, valid.error().message());
  }
  if (!known_sync_mode(static_cast<std::uint8_t>(message.sync_mode))) {
    return invalid(
        kWhat, "sync mode " + std::to_string(static_cast<int>(message.sync_mode)) + " is unknown");
  }
  if (!known_handle_type(static_cast<std::uint8_t>(message.handle_type))) {
    return invalid(kWhat, "handle type " + std::to_string(static_cast<int>(message.handle_type)) +
                              " is unknown");
  }
  if (message.image.allocation_size == 0) return invalid(kWhat, "allocation size is 0");
  if (!is_known(message.color)) return invalid(kWhat, "colour description has unknown values");
  if (message.first_frame == 0) return invalid(kWhat, "first frame is 0");
  if (std::string problem = layout_problem(message); !problem.empty()) {
    return invalid(kWhat, problem);
  }
  if (!message.board.valid() || !message.page.valid()) {
    return invalid(kWhat, "no frame board or receiver page fd");
  }
  std::vector<NativeHandle> handles;
  handles.reserve(kHandlesPerStream + message.slots.size() * kHandlesPerSlot);
  handles.push_back(message.board.get());
  handles.push_back(message.page.get());
  for (std::size_t slot = 0; slot < message.slots.size(); ++slot) {
    const SlotHandles& s = message.slots[slot];
    const char* names[] = {"memory", "ready", "released"};
    const UniqueHandle* owned[] = {&s.memory, &s.ready, &s.released};
    static_assert(std::size(names) == kHandlesPerSlot);
    for (std::size_t k = 0; k < kHandlesPerSlot; ++k) {
      if (!owned[k]->valid()) {
        return invalid(kWhat, "slot " + std::to_string(slot) + " has no " + names[k] + " fd");
      }
      handles.push_back(owned[k]->get());
    }
  }
  std::vector<std::uint8_t> body;
  body.reserve(kStreamDescriptionBodySize);
  ByteWriter writer(body);
  writer.u64(message.generation);
  writer.u8(static_cast<std::uint8_t>(message.slots.size()));
  writer.u8(static_cast<std::uint8_t>(message.sync_mode));
  writer.u8(static_cast<std::uint8_t>(message.handle_type));
  writer.u8(message.image.dedicated ? 1 : 0);
  writer.u32(message.descriptor.width);
  writer.u32(message.descriptor.height);
  writer.u16(static_cast<std::uint16_t>(message.descriptor.format));
  writer.zeros(2);
  writer.u32(static_cast<std::uint32_t>(message.descriptor.usage));
  writer.u32(message.descriptor.mip_levels);
  writer.u32(message.descriptor.array_layers);
  writer.u32(message.image.vk_format);
  writer.u32(message.image.tiling);
  writer.u32(message.image.usage);
  writer.u32(message.image.create_flags);
  writer.u32(message.image.memory_type_index);
  writer.u64(message.image.allocation_size);
  write_uuid(writer, message.identity.driver_uuid);
  write_uuid(writer, message.identity.device_uuid);
  write_color(writer, message.color);
  writer.u64(message.first_frame);
  writer.u32(message.row_pitch);
  writer.zeros(4);
  return finish(MessageType::StreamDescription, body, std::move(handles));
}

Result<EncodedMessage> encode_describe_request(const DescribeRequest& /*message*/) {
  return finish(MessageType::DescribeRequest, {}, {});
}

Result<EncodedMessage> encode_description(const Description& message) {
  constexpr const char* kWhat = "encode_description";
  if (message.width == 0 || message.width > kMaxTextureDimension || message.height == 0 ||
      message.height > kMaxTextureDimension) {
    return invalid(kWhat, "extent " + std::to_string(message.width) + "x" +
                              std::to_string(message.height) + " is out of range 1.." +
                              std::to_string(kMaxTextureDimension));
  }
  if (!known_format(static_cast<std::uint16_t>(message.format))) {
    return invalid(
        kWhat, "format " + std::to_string(static_cast<unsigned>(message.format)) + " is unknown");
  }
  if (!known_sync_mode(static_cast<std::uint8_t>(message.sync_mode))) {
    return invalid(
        kWhat, "sync mode " + std::to_string(static_cast<int>(message.sync_mode)) + " is unknown");
  }
  if (!is_known(message.color)) return invalid(kWhat, "colour description has unknown values");
  if (message.host_receiver_count > message.receiver_count) {
    return invalid(kWhat, "more host receivers than receivers");
  }
  std::vector<std::uint8_t> body;
  ByteWriter writer(body);
  writer.u32(message.width);
  writer.u32(message.height);
  writer.u16(static_cast<std::uint16_t>(message.format));
  writer.u8(static_cast<std::uint8_t>(message.sync_mode));
  writer.zeros(1);
  writer.u32(message.fps_milli);
  writer.u64(message.frame_count);
  writer.u32(message.receiver_count);
  writer.u32(message.sender_pid);
  writer.u16(message.protocol_version);
  write_color(writer, message.color);
  writer.zeros(2);
  writer.u32(message.host_receiver_count);
  return finish(MessageType::Description, body, {});
}

Result<EncodedMessage> encode_goodbye(const Goodbye& /*message*/) {
  return finish(MessageType::Goodbye, {}, {});
}

Result<EncodedMessage> encode_error(const ErrorMessage& message) {
  if (static_cast<std::uint16_t>(message.code) >= kErrorCodeCount) {
    return invalid("encode_error",
                   "error code " + std::to_string(static_cast<int>(message.code)) + " is unknown");
  }
  const std::vector<std::uint8_t> text = bounded_utf8(message.text);
  std::vector<std::uint8_t> body;
  ByteWriter writer(body);
  writer.u16(static_cast<std::uint16_t>(message.code));
  writer.u16(static_cast<std::uint16_t>(text.size()));
  writer.bytes(text);
  return finish(MessageType::Error, body, {});
}

Result<EncodedMessage> encode(const Message& message) {
  return std::visit([](const auto& m) { return encode_any(m); }, message);
}

Result<WireHeader> decode_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderSize) {
    return fail(ErrorCode::Protocol, "decode: message of " + std::to_string(bytes.size()) +
                                         " bytes is shorter than the " +
                                         std::to_string(kHeaderSize) + "-byte header");
  }
  ByteReader reader(bytes.first(kHeaderSize));
  WireHeader header;
  header.magic = reader.u32();
  header.version = reader.u16();
  header.type = static_cast<MessageType>(reader.u16());
  header.body_size = reader.u32();
  header.handle_count = reader.u16();
  const std::uint16_t reserved = reader.u16();
  if (header.magic != kWireMagic) {
    return fail(ErrorCode::Protocol, "decode: wrong magic " + hex32(header.magic) + ", expected " +
                                         hex32(kWireMagic) + " (\"GYSR\")");
  }
  if (header.version != kProtocolVersion) {
    return fail(ErrorCode::Protocol,
                "decode: the peer speaks protocol version " + std::to_string(header.version) +
                    ", this side speaks version " + std::to_string(kProtocolVersion) +
                    " (both ends need the same Geyser protocol version)");
  }
  if (reserved != 0) {
    return fail(ErrorCode::Protocol,
                "decode: reserved header field is " + std::to_string(reserved) + ", not 0");
  }
  if (header.body_size > kMaxBodySize) {
    return fail(ErrorCode::Protocol, "decode: body of " + std::to_string(header.body_size) +
                                         " bytes is over the limit of " +
                                         std::to_string(kMaxBodySize));
  }
  if (header.handle_count > kMaxHandlesPerMessage) {
    return fail(ErrorCode::Protocol, "decode: " + std::to_string(header.handle_count) +
                                         " handles declared, at most " +
                                         std::to_string(kMaxHandlesPerMessage) + " allowed");
  }
  return header;
}

Result<Message> decode(std::span<const std::uint8_t> bytes, std::vector<UniqueHandle> handles) {
  // `handles` is owned here: every early return closes them.
  GEYSER_TRY(const WireHeader header, decode_header(bytes));
  const MessageType type = header.type;
  if (to_string(type) == "Unknown") {
    return fail(ErrorCode::Protocol,
                "decode: unknown message type " + std::to_string(static_cast<unsigned>(type)));
  }
  const std::size_t actual_body = bytes.size() - kHeaderSize;
  if (actual_body != header.body_size) {
    return protocol(type, "header says the body is " + std::to_string(header.body_size) +
                              " bytes, " + std::to_string(actual_body) + " arrived");
  }
  if (header.handle_count != handles.size()) {
    return protocol(type, "header declares " + std::to_string(header.handle_count) + " handles, " +
                              std::to_string(handles.size()) + " attached");
  }
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (!handles[i].valid()) return protocol(type, "handle #" + std::to_string(i) + " is empty");
  }
  const auto body = bytes.subspan(kHeaderSize);
  switch (type) {
    case MessageType::Hello: return decode_hello(body, handles, header.version);
    case MessageType::StreamDescription: return decode_stream_description(body, handles);
    case MessageType::DescribeRequest:
      GEYSER_TRY_VOID(check_body_size(type, body.size(), 0));
      GEYSER_TRY_VOID(check_no_handles(type, handles));
      return DescribeRequest{};
    case MessageType::Description: return decode_description(body, handles);
    case MessageType::Goodbye:
      GEYSER_TRY_VOID(check_body_size(type, body.size(), 0));
      GEYSER_TRY_VOID(check_no_handles(type, handles));
      return Goodbye{};
    case MessageType::Error: return decode_error(body, handles);
  }
  return fail(ErrorCode::Protocol,
              "decode: unknown message type " + std::to_string(static_cast<unsigned>(type)));
}

void describe_host_slots(StreamDescription& d, std::uint32_t row_pitch,
                         std::uint64_t slot_size) noexcept {
  d.handle_type = MemoryHandleType::HostMemfd;
  d.image = VulkanImageInfo{};
  d.image.dedicated = false;
  d.image.allocation_size = slot_size;
  d.row_pitch = row_pitch;
}

}  // namespace geyser::ipc
