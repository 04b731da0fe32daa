// The wire codec: round trips, the exact bytes of the header, every malformed case that must
// be a Protocol error, and a fuzz loop. Every test checks that no descriptor leaks.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/wire.hpp"

namespace geyser::ipc {
namespace {

using test::open_fd_count;

std::vector<UniqueFd> make_fds(std::size_t count) {
  std::vector<UniqueFd> fds;
  for (std::size_t i = 0; i < count; ++i) fds.push_back(test::open_dev_null());
  return fds;
}

// What the kernel does on receipt: new descriptors for the same files.
std::vector<UniqueFd> dup_fds(const std::vector<int>& fds) {
  std::vector<UniqueFd> out;
  for (const int fd : fds) out.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  return out;
}

Uuid uuid(std::uint8_t seed) {
  Uuid id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

StreamDescription sample_stream(std::size_t slots, SyncMode mode) {
  StreamDescription message;
  message.generation = 0x0102030405060708ull;
  message.descriptor.width = 1920;
  message.descriptor.height = 1080;
  message.descriptor.format = TextureFormat::Bgra8Unorm;
  message.descriptor.usage = TextureUsage::Sampled | TextureUsage::TransferSrc;
  message.descriptor.mip_levels = 3;
  message.descriptor.array_layers = 2;
  message.image = VulkanImageInfo{44, 0, 0x17, 0x8, 8294400ull * 3, 7, true};
  message.handle_type = MemoryHandleType::OpaqueFd;
  message.identity = DeviceIdentity{uuid(1), uuid(100)};
  message.sync_mode = mode;
  message.color =
      ColorDescription{ColorSpace::Bt2020Pq, AlphaMode::Premultiplied, Orientation::BottomUp};
  message.first_frame = 0x0A0B0C0D0E0F1011ull;
  message.board = test::memfd_with("board");
  message.page = test::memfd_with("page");
  for (std::size_t i = 0; i < slots; ++i) {
    SlotHandles slot;
    slot.memory = test::memfd_with("memory " + std::to_string(i));
    slot.ready = test::memfd_with("ready " + std::to_string(i));
    slot.released = test::memfd_with("released " + std::to_string(i));
    message.slots.push_back(std::move(slot));
  }
  return message;
}

// One valid message of each type.
std::vector<Message> sample_messages() {
  std::vector<Message> messages;
  messages.emplace_back(Hello{kProtocolVersion, 4242, {true, false}, {uuid(3), uuid(40)}});
  messages.emplace_back(sample_stream(3, SyncMode::Gpu));
  messages.emplace_back(DescribeRequest{});
  messages.emplace_back(
      Description{640, 480, TextureFormat::Rgba16Float, SyncMode::Gpu, 59940, 1ull << 40, 3, 777,
                  kProtocolVersion,
                  ColorDescription{ColorSpace::Bt709, AlphaMode::Opaque, Orientation::TopDown}});
  messages.emplace_back(Goodbye{});
  messages.emplace_back(ErrorMessage{ErrorCode::DeviceMismatch, "device uuid differs: µ ✓"});
  return messages;
}

std::vector<std::uint8_t> encoded_bytes(const Message& message) {
  auto encoded = encode(message);
  EXPECT_TRUE(encoded) << encoded.error().to_string();
  return encoded ? encoded->bytes : std::vector<std::uint8_t>{};
}

template <typename T>
T round_trip(const T& message) {
  auto encoded = encode(Message(std::in_place_type<T>, message));
  EXPECT_TRUE(encoded) << encoded.error().to_string();
  auto decoded = decode(encoded->bytes, {});
  EXPECT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_TRUE(std::holds_alternative<T>(*decoded));
  return std::get<T>(std::move(*decoded));
}

void put(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value, int size) {
  for (int i = 0; i < size; ++i) {
    bytes.at(offset + static_cast<std::size_t>(i)) = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

// Asserts that decoding fails with Protocol, and that every fd was closed.
void expect_protocol(const std::vector<std::uint8_t>& bytes, std::size_t fd_count,
                     const std::string& what) {
  SCOPED_TRACE(what);
  const std::size_t baseline = open_fd_count();
  std::vector<UniqueFd> fds = make_fds(fd_count);
  ASSERT_EQ(open_fd_count(), baseline + fd_count);
  auto result = decode(bytes, std::move(fds));
  ASSERT_FALSE(result) << "decoded as type " << to_string(message_type(*result));
  EXPECT_EQ(result.error().code(), ErrorCode::Protocol) << result.error().to_string();
  EXPECT_EQ(open_fd_count(), baseline);
}

class WireTest : public ::testing::Test {
 protected:
  void SetUp() override { baseline_ = open_fd_count(); }
  void TearDown() override { EXPECT_EQ(open_fd_count(), baseline_) << "descriptors leaked"; }
  std::size_t baseline_ = 0;
};

TEST_F(WireTest, HeaderBytesAreExactlyAsSpecified) {
  const auto bytes = encoded_bytes(Goodbye{});
  const std::vector<std::uint8_t> expected = {'G', 'Y', 'S', 'R', 2, 0, 7, 0,
                                              0,   0,   0,   0,   0, 0, 0, 0};
  EXPECT_EQ(bytes, expected);
}

TEST_F(WireTest, DescriptionBytesAreLittleEndian) {
  Description message{
      0x0102,
      3,
      TextureFormat::Bgra8Unorm,
      SyncMode::Cpu,
      0x0A0B0C0D,
      0x1122334455667788ull,
      5,
      0x01020304,
      kProtocolVersion,
      ColorDescription{ColorSpace::Bt2020Hlg, AlphaMode::Premultiplied, Orientation::BottomUp},
      0x03};
  const auto bytes = encoded_bytes(message);
  ASSERT_EQ(bytes.size(), kHeaderSize + 44);
  EXPECT_EQ(bytes[8], 44);  // body size
  EXPECT_EQ(bytes[16], 0x02);
  EXPECT_EQ(bytes[17], 0x01);
  EXPECT_EQ(bytes[32], 0x88);  // frame count
  EXPECT_EQ(bytes[39], 0x11);
  EXPECT_EQ(bytes[44], 0x04);  // sender pid
  EXPECT_EQ(bytes[48], 2);     // protocol version
  EXPECT_EQ(bytes[50], 4);     // colour space bt2020-hlg
  EXPECT_EQ(bytes[51], 1);     // premultiplied
  EXPECT_EQ(bytes[52], 1);     // bottom-up
  EXPECT_EQ(bytes[56], 3);     // host receivers
}

// Version 1 sent frames as socket messages; a peer of that version gets an error that
// names both versions, and so does a v1 message that reaches us.
TEST_F(WireTest, AnotherProtocolVersionIsRefusedNamingBothVersions) {
  auto bytes = encoded_bytes(Goodbye{});
  put(bytes, 4, 1, 2);
  auto decoded = decode(bytes, {});
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code(), ErrorCode::Protocol);
  EXPECT_NE(decoded.error().message().find("protocol version 1"), std::string::npos)
      << decoded.error().message();
  EXPECT_NE(decoded.error().message().find("version 2"), std::string::npos)
      << decoded.error().message();
  // Types 3 and 4 (version 1's FramePresented and FrameReleased) are unknown now.
  for (const int retired : {3, 4}) {
    bytes = encoded_bytes(Goodbye{});
    put(bytes, 6, retired, 2);
    expect_protocol(bytes, 0, "retired type " + std::to_string(retired));
  }
}

TEST_F(WireTest, HelloRoundTrips) {
  for (const SyncCapabilities caps :
       {SyncCapabilities{false, false}, SyncCapabilities{true, false},
        SyncCapabilities{false, true}, SyncCapabilities{true, true}}) {
    const Hello hello{kProtocolVersion, 0xFFFFFFFEu, caps, {uuid(9), uuid(200)}};
    EXPECT_EQ(round_trip(hello), hello);
  }
  for (const TransferRequest transfer :
       {TransferRequest::Device, TransferRequest::Auto, TransferRequest::Host}) {
    const Hello hello{kProtocolVersion, 7, {}, {}, transfer};
    EXPECT_EQ(round_trip(hello), hello);
    EXPECT_EQ(encoded_bytes(hello)[kHeaderSize + 3], static_cast<std::uint8_t>(transfer));
  }
}

// Host frames: a linear layout whose row pitch and slot size the decoder checks, cpu
// sync, no Vulkan image facts.
StreamDescription host_stream(std::uint32_t width, std::uint32_t height) {
  StreamDescription message = sample_stream(2, SyncMode::Cpu);
  message.descriptor.width = width;
  message.descriptor.height = height;
  message.descriptor.mip_levels = 1;
  message.descriptor.array_layers = 1;
  message.handle_type = MemoryHandleType::HostMemfd;
  message.image = VulkanImageInfo{};
  message.image.dedicated = false;
  message.row_pitch = host_row_pitch(width, message.descriptor.format);
  message.image.allocation_size = host_slot_size(width, height, message.descriptor.format);
  return message;
}

TEST_F(WireTest, HostStreamDescriptionsRoundTripAndTheirLayoutIsChecked) {
  const StreamDescription sent = host_stream(33, 17);
  EXPECT_EQ(sent.row_pitch, 256u);
  auto encoded = encode_stream_description(sent);
  ASSERT_TRUE(encoded) << encoded.error().to_string();
  ASSERT_EQ(encoded->bytes.size(), kHeaderSize + 116);
  auto decoded = decode(encoded->bytes, dup_fds(encoded->handles));
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  const auto& got = std::get<StreamDescription>(*decoded);
  EXPECT_EQ(got.handle_type, MemoryHandleType::HostMemfd);
  EXPECT_EQ(got.row_pitch, 256u);
  EXPECT_EQ(got.image.allocation_size, 65536u);

  const std::size_t fds = kHandlesPerStream + 2 * kHandlesPerSlot;
  const auto bytes = encoded->bytes;
  constexpr std::size_t kPitch = kHeaderSize + 108;
  auto bad = bytes;
  put(bad, kPitch, 33 * 4 - 4, 4);
  expect_protocol(bad, fds, "row pitch shorter than a row");
  bad = bytes;
  put(bad, kPitch, 33 * 4 + 2, 4);
  expect_protocol(bad, fds, "row pitch not a multiple of the texel size");
  bad = bytes;
  put(bad, kHeaderSize + 56, 256 * 17 - 1, 8);
  expect_protocol(bad, fds, "allocation size too small for the rows");
  bad = bytes;
  put(bad, kHeaderSize + 9, 0, 1);
  expect_protocol(bad, fds, "host frames in gpu sync mode");
  bad = bytes;
  put(bad, kHeaderSize + 36, 44, 4);
  expect_protocol(bad, fds, "a Vulkan format on host frames");
  bad = bytes;
  put(bad, kPitch + 4, 1, 1);
  expect_protocol(bad, fds, "reserved bytes after the row pitch");
  // An optimal image's description carries no row pitch (linear ones: the next test).
  auto image = encode_stream_description(sample_stream(1, SyncMode::Cpu))->bytes;
  put(image, kPitch, 256, 4);
  expect_protocol(image, kHandlesPerStream + kHandlesPerSlot, "row pitch on an image");
  // The encoder refuses what the decoder would.
  StreamDescription wrong = host_stream(33, 17);
  wrong.row_pitch = 100;
  EXPECT_EQ(encode_stream_description(wrong).error().code(), ErrorCode::Validation);
}

// Linear streams: device slots that are VK_IMAGE_TILING_LINEAR images, rows `row_pitch` apart
// from offset 0, checked as host slots are.
StreamDescription linear_stream(std::uint32_t width, std::uint32_t height, std::uint32_t pitch) {
  StreamDescription message = sample_stream(2, SyncMode::Gpu);
  message.descriptor.width = width;
  message.descriptor.height = height;
  message.descriptor.mip_levels = 1;
  message.descriptor.array_layers = 1;
  message.image.tiling = kVkTilingLinear;
  message.image.allocation_size = std::uint64_t{pitch} * height;
  message.row_pitch = pitch;
  return message;
}

TEST_F(WireTest, LinearStreamDescriptionsRoundTripAndTheirLayoutIsChecked) {
  const StreamDescription sent = linear_stream(333, 77, 1344);
  auto encoded = encode_stream_description(sent);
  ASSERT_TRUE(encoded) << encoded.error().to_string();
  auto decoded = decode(encoded->bytes, dup_fds(encoded->handles));
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  const auto& got = std::get<StreamDescription>(*decoded);
  EXPECT_EQ(got.image.tiling, kVkTilingLinear);
  EXPECT_EQ(got.row_pitch, 1344u);
  EXPECT_EQ(got.sync_mode, SyncMode::Gpu);

  const std::size_t fds = kHandlesPerStream + 2 * kHandlesPerSlot;
  constexpr std::size_t kPitch = kHeaderSize + 108;
  auto bad = encoded->bytes;
  put(bad, kPitch, 0, 4);
  expect_protocol(bad, fds, "a linear image without a row pitch");
  bad = encoded->bytes;
  put(bad, kPitch, 333 * 4 - 4, 4);
  expect_protocol(bad, fds, "a row pitch shorter than a row");
  bad = encoded->bytes;
  put(bad, kHeaderSize + 56, 1344 * 77 - 1, 8);
  expect_protocol(bad, fds, "an allocation too small for the rows");
  for (const auto& [what, change] :
       std::vector<std::pair<std::string, void (*)(StreamDescription&)>>{
           {"two mip levels", [](StreamDescription& m) { m.descriptor.mip_levels = 2; }},
           {"two layers", [](StreamDescription& m) { m.descriptor.array_layers = 2; }},
           {"a pitch of 3 bytes more", [](StreamDescription& m) { m.row_pitch += 3; }}}) {
    StreamDescription wrong = linear_stream(333, 77, 1344);
    change(wrong);
    EXPECT_EQ(encode_stream_description(wrong).error().code(), ErrorCode::Validation) << what;
  }
}

TEST_F(WireTest, EmptyMessagesRoundTrip) {
  EXPECT_EQ(round_trip(DescribeRequest{}), DescribeRequest{});
  EXPECT_EQ(round_trip(Goodbye{}), Goodbye{});
}

TEST_F(WireTest, DescriptionRoundTrips) {
  for (const auto& format : all_formats()) {
    const Description message{kMaxTextureDimension, 1, format.format, SyncMode::Cpu, 0, 5, 0, 1};
    EXPECT_EQ(round_trip(message), message);
  }
  for (const auto space : {ColorSpace::Srgb, ColorSpace::LinearSrgb, ColorSpace::Bt709,
                           ColorSpace::Bt2020Pq, ColorSpace::Bt2020Hlg}) {
    Description message;
    message.color.space = space;
    EXPECT_EQ(round_trip(message), message);
  }
}

TEST_F(WireTest, ErrorRoundTripsEveryCode) {
  for (int code = 0; code <= static_cast<int>(ErrorCode::Internal); ++code) {
    const ErrorMessage message{static_cast<ErrorCode>(code), "code " + std::to_string(code)};
    EXPECT_EQ(round_trip(message), message);
  }
  EXPECT_EQ(round_trip(ErrorMessage{ErrorCode::Timeout, ""}).text, "");
}

TEST_F(WireTest, ErrorTextIsBoundedAndMadeValidUtf8) {
  // 1023 ASCII bytes then a 2-byte character: the character does not fit and is dropped
  // whole, never cut in half.
  const std::string long_text = std::string(1023, 'x') + "é" + "tail";
  const auto cut = round_trip(ErrorMessage{ErrorCode::Internal, long_text});
  EXPECT_EQ(cut.text, std::string(1023, 'x'));
  const auto cleaned = round_trip(ErrorMessage{ErrorCode::Internal, std::string("a\xff"
                                                                                "b\xc3")});
  EXPECT_EQ(cleaned.text, "a?b?");
}

TEST_F(WireTest, StreamDescriptionRoundTripsWithItsFds) {
  for (const SyncMode mode : {SyncMode::Gpu, SyncMode::Cpu}) {
    for (const std::size_t slots : {std::size_t{1}, std::size_t{3}, kMaxSlots}) {
      const StreamDescription sent = sample_stream(slots, mode);
      auto encoded = encode_stream_description(sent);
      ASSERT_TRUE(encoded) << encoded.error().to_string();
      ASSERT_EQ(encoded->handles.size(), kHandlesPerStream + slots * kHandlesPerSlot);
      EXPECT_EQ(encoded->bytes[12], kHandlesPerStream + slots * kHandlesPerSlot);  // fd count
      auto decoded = decode(encoded->bytes, dup_fds(encoded->handles));
      ASSERT_TRUE(decoded) << decoded.error().to_string();
      auto& got = std::get<StreamDescription>(*decoded);
      EXPECT_EQ(got.generation, sent.generation);
      EXPECT_EQ(got.descriptor, sent.descriptor);
      EXPECT_EQ(got.image, sent.image);
      EXPECT_EQ(got.handle_type, sent.handle_type);
      EXPECT_EQ(got.identity, sent.identity);
      EXPECT_EQ(got.sync_mode, mode);
      EXPECT_EQ(got.color, sent.color);
      EXPECT_EQ(got.first_frame, sent.first_frame);
      // The board and the page first, then the slots' fds.
      EXPECT_EQ(test::read_all(got.board.get()), "board");
      EXPECT_EQ(test::read_all(got.page.get()), "page");
      ASSERT_EQ(got.slots.size(), slots);
      for (std::size_t i = 0; i < slots; ++i) {
        // The fds arrive in slot order, memory / ready / released.
        EXPECT_EQ(test::read_all(got.slots[i].memory.get()), "memory " + std::to_string(i));
        EXPECT_EQ(test::read_all(got.slots[i].ready.get()), "ready " + std::to_string(i));
        EXPECT_EQ(test::read_all(got.slots[i].released.get()), "released " + std::to_string(i));
      }
    }
  }
}

TEST_F(WireTest, EncodersRejectBadInput) {
  StreamDescription stream = sample_stream(2, SyncMode::Gpu);
  stream.slots[1].ready.reset();
  EXPECT_EQ(encode_stream_description(stream).error().code(), ErrorCode::Validation);
  EXPECT_EQ(encode_stream_description(sample_stream(0, SyncMode::Cpu)).error().code(),
            ErrorCode::Validation);
  EXPECT_EQ(encode_stream_description(sample_stream(kMaxSlots + 1, SyncMode::Cpu)).error().code(),
            ErrorCode::Validation);
  StreamDescription bad_extent = sample_stream(1, SyncMode::Cpu);
  bad_extent.descriptor.width = 0;
  EXPECT_EQ(encode_stream_description(bad_extent).error().code(), ErrorCode::Validation);
  StreamDescription no_board = sample_stream(1, SyncMode::Cpu);
  no_board.board.reset();
  EXPECT_EQ(encode_stream_description(no_board).error().code(), ErrorCode::Validation);
  StreamDescription bad_color = sample_stream(1, SyncMode::Cpu);
  bad_color.color.space = static_cast<ColorSpace>(9);
  EXPECT_EQ(encode_stream_description(bad_color).error().code(), ErrorCode::Validation);
  EXPECT_EQ(encode_description(Description{0, 1}).error().code(), ErrorCode::Validation);
  EXPECT_EQ(encode_hello(Hello{1}).error().code(), ErrorCode::Validation);
}

// The format and error-code values are protocol (docs/protocol.md, "Enumerations"): a
// reordered enum would change the meaning of every message.
TEST(WireEnumTest, EnumValuesMatchTheSpecification) {
  const char* const formats[] = {
      "Rgba8Unorm",   "Bgra8Unorm",  "Rgba8Srgb",          "Bgra8Srgb",    "Rgba8Snorm",
      "Rgba8Uint",    "R8Unorm",     "Rg8Unorm",           "R16Unorm",     "Rg16Unorm",
      "Rgba16Unorm",  "R16Float",    "Rg16Float",          "Rgba16Float",  "R16Uint",
      "R16Sint",      "Rgba16Uint",  "R32Float",           "Rg32Float",    "Rgba32Float",
      "R32Uint",      "R32Sint",     "Rgb10a2Unorm",       "Rg11b10Float", "Depth16Unorm",
      "Depth32Float", "Depth24Plus", "Depth24PlusStencil8"};
  ASSERT_EQ(all_formats().size(), std::size(formats)) << "a new format needs a protocol entry";
  for (std::size_t i = 0; i < std::size(formats); ++i) {
    EXPECT_EQ(to_string(static_cast<TextureFormat>(i)), formats[i]) << "value " << i;
  }
  const char* const codes[] = {"Validation",     "Unsupported",  "OutOfMemory", "DeviceLost",
                               "DeviceMismatch", "Disconnected", "Timeout",     "PermissionDenied",
                               "Protocol",       "Internal"};
  for (std::size_t i = 0; i < std::size(codes); ++i) {
    EXPECT_EQ(to_string(static_cast<ErrorCode>(i)), codes[i]) << "value " << i;
  }
}

// --- malformed input: always Protocol, always every fd closed ---

constexpr std::size_t kBody = kHeaderSize;  // offset of the body in the message

TEST_F(WireTest, BadHeadersAreProtocolErrors) {
  const auto good = encoded_bytes(Description{});
  expect_protocol({}, 0, "empty");
  expect_protocol({good.begin(), good.begin() + 15}, 0, "short header");
  auto bytes = good;
  put(bytes, 0, 0x52535948, 4);
  expect_protocol(bytes, 0, "wrong magic");
  for (const std::uint16_t version : std::initializer_list<std::uint16_t>{0, 1, 3, 0xFFFF}) {
    bytes = good;
    put(bytes, 4, version, 2);
    expect_protocol(bytes, 0, "unknown version " + std::to_string(version));
  }
  for (const std::uint16_t type : std::initializer_list<std::uint16_t>{0, 3, 4, 9, 0xFFFF}) {
    bytes = good;
    put(bytes, 6, type, 2);
    expect_protocol(bytes, 0, "unknown type " + std::to_string(type));
  }
  bytes = good;
  put(bytes, 14, 1, 2);
  expect_protocol(bytes, 0, "reserved header field");
}

TEST_F(WireTest, LengthMismatchesAreProtocolErrors) {
  const auto good = encoded_bytes(Description{});
  auto bytes = good;
  bytes.pop_back();
  expect_protocol(bytes, 0, "one byte short");
  bytes = good;
  bytes.push_back(0);
  expect_protocol(bytes, 0, "one byte extra");
  bytes = good;
  put(bytes, 8, 41, 4);
  bytes.push_back(0);
  expect_protocol(bytes, 0, "consistent but wrong body size for the type");
  bytes = encoded_bytes(Goodbye{});
  put(bytes, 8, 4, 4);
  bytes.insert(bytes.end(), 4, 0);
  expect_protocol(bytes, 0, "Goodbye with a body");
}

TEST_F(WireTest, BodyOverTheLimitIsAProtocolError) {
  auto bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, "x"});
  bytes.resize(kHeaderSize + kMaxBodySize + 1, 'x');
  put(bytes, 8, kMaxBodySize + 1, 4);
  expect_protocol(bytes, 0, "body of 64 KiB + 1");
  put(bytes, 8, 0xFFFFFFFF, 4);
  expect_protocol(bytes, 0, "body of 4 GiB");
}

TEST_F(WireTest, FdCountsOutOfBoundsAreProtocolErrors) {
  const StreamDescription stream = sample_stream(2, SyncMode::Gpu);
  const auto good = encode_stream_description(stream)->bytes;
  auto bytes = good;
  put(bytes, 12, 7, 2);
  expect_protocol(bytes, 7, "2 slots with 7 fds (too few)");
  put(bytes, 12, 9, 2);
  expect_protocol(bytes, 9, "2 slots with 9 fds (too many)");
  expect_protocol(good, 7, "header says 8, 7 attached");
  expect_protocol(good, 0, "header says 8, none attached");

  bytes = good;
  put(bytes, kBody + 8, 0, 1);
  put(bytes, 12, 0, 2);
  expect_protocol(bytes, 0, "slot count 0");
  bytes = good;
  put(bytes, kBody + 8, 17, 1);
  put(bytes, 12, 2 + 17 * 3, 2);
  expect_protocol(bytes, 2 + 17 * 3, "slot count 17");
  bytes = good;
  put(bytes, kBody + 8, 255, 1);
  put(bytes, 12, 50, 2);
  expect_protocol(bytes, 50, "slot count 255");
  put(bytes, 12, 51, 2);
  expect_protocol(bytes, 51, "more fds than any message may carry");

  for (const Message& message : sample_messages()) {
    if (message_type(message) == MessageType::StreamDescription) continue;
    bytes = encoded_bytes(message);
    expect_protocol(bytes, 1, std::string(to_string(message_type(message))) + " with an fd");
    put(bytes, 12, 2, 2);
    expect_protocol(
        bytes, 2, std::string(to_string(message_type(message))) + " declaring and carrying 2 fds");
  }
}

TEST_F(WireTest, InvalidEnumsAreProtocolErrors) {
  const auto stream = encode_stream_description(sample_stream(1, SyncMode::Cpu))->bytes;
  auto bytes = stream;
  put(bytes, kBody + 9, 2, 1);
  expect_protocol(bytes, 5, "sync mode 2");
  bytes = stream;
  put(bytes, kBody + 10, 7, 1);
  expect_protocol(bytes, 5, "handle type 7");
  bytes = stream;
  put(bytes, kBody + 11, 2, 1);
  expect_protocol(bytes, 5, "dedicated 2");
  bytes = stream;
  put(bytes, kBody + 20, all_formats().size(), 2);
  expect_protocol(bytes, 5, "format one past the last");
  put(bytes, kBody + 20, 0xFFFF, 2);
  expect_protocol(bytes, 5, "format 0xFFFF");
  bytes = stream;
  put(bytes, kBody + 24, 1u << 20, 4);
  expect_protocol(bytes, 5, "unknown usage bit");

  const auto description = encoded_bytes(Description{});
  bytes = description;
  put(bytes, kBody + 8, 500, 2);
  expect_protocol(bytes, 0, "Description format 500");
  bytes = description;
  put(bytes, kBody + 10, 9, 1);
  expect_protocol(bytes, 0, "Description sync mode 9");

  bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, "x"});
  put(bytes, kBody, 10, 2);
  expect_protocol(bytes, 0, "error code 10");

  bytes = encoded_bytes(Hello{});
  put(bytes, kBody + 2, 4, 1);
  expect_protocol(bytes, 0, "unknown capability bit");
  bytes = encoded_bytes(Hello{});
  put(bytes, kBody + 3, 3, 1);
  expect_protocol(bytes, 0, "transfer request 3");
  bytes = encoded_bytes(Description{});
  put(bytes, kBody + 40, 1, 4);
  expect_protocol(bytes, 0, "more host receivers than receivers");
  bytes = encoded_bytes(Hello{});
  put(bytes, kBody, 1, 2);
  expect_protocol(bytes, 0, "Hello version differs from the header's");
}

TEST_F(WireTest, BadExtentsAreProtocolErrors) {
  const auto stream = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
  auto bytes = stream;
  put(bytes, kBody + 12, 0, 4);
  expect_protocol(bytes, 5, "width 0");
  bytes = stream;
  put(bytes, kBody + 16, kMaxTextureDimension + 1, 4);
  expect_protocol(bytes, 5, "height over the limit");
  bytes = stream;
  put(bytes, kBody + 28, 0, 4);
  expect_protocol(bytes, 5, "0 mip levels");
  bytes = stream;
  put(bytes, kBody + 32, 0, 4);
  expect_protocol(bytes, 5, "0 layers");
  bytes = stream;
  put(bytes, kBody + 56, 0, 8);
  expect_protocol(bytes, 5, "allocation size 0");

  const auto description = encoded_bytes(Description{});
  bytes = description;
  put(bytes, kBody, 0, 4);
  expect_protocol(bytes, 0, "Description width 0");
  bytes = description;
  put(bytes, kBody + 4, 1u << 20, 4);
  expect_protocol(bytes, 0, "Description height over the limit");
}

TEST_F(WireTest, OtherBadBodiesAreProtocolErrors) {
  auto bytes = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
  put(bytes, kBody + 22, 1, 2);
  expect_protocol(bytes, 5, "StreamDescription reserved field");
  bytes = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
  put(bytes, kBody + 99, 1, 1);
  expect_protocol(bytes, 5, "StreamDescription colour reserved byte");
  for (const std::size_t at : {std::size_t{96}, std::size_t{97}, std::size_t{98}}) {
    bytes = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
    put(bytes, kBody + at, 7, 1);
    expect_protocol(bytes, 5, "unknown colour value at body offset " + std::to_string(at));
  }
  bytes = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
  put(bytes, kBody + 100, 0, 8);
  expect_protocol(bytes, 5, "StreamDescription first frame 0");
  bytes = encoded_bytes(Description{});
  put(bytes, kBody + 32, 1, 2);
  expect_protocol(bytes, 0, "Description of protocol version 1 in a version 2 header");
  bytes = encoded_bytes(Description{});
  put(bytes, kBody + 34, 5, 1);
  expect_protocol(bytes, 0, "Description colour space 5");
  bytes = encoded_bytes(Description{});
  put(bytes, kBody + 38, 1, 1);
  expect_protocol(bytes, 0, "Description reserved tail");

  // Error: the text length must match the body, stay within the limit, and be UTF-8.
  bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, "abc"});
  put(bytes, kBody + 2, 4, 2);
  expect_protocol(bytes, 0, "text length past the body");
  bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, "abc"});
  bytes[kBody + 5] = 0xC0;  // overlong lead byte
  expect_protocol(bytes, 0, "invalid UTF-8");
  bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, ""});
  bytes.resize(kBody + 4 + kMaxErrorTextSize + 1, 'a');
  put(bytes, 8, 4 + kMaxErrorTextSize + 1, 4);
  put(bytes, kBody + 2, kMaxErrorTextSize + 1, 2);
  expect_protocol(bytes, 0, "text over the limit");
  bytes = encoded_bytes(ErrorMessage{ErrorCode::Internal, ""});
  bytes.resize(kBody + 2);
  put(bytes, 8, 2, 4);
  expect_protocol(bytes, 0, "Error body shorter than its fixed part");
}

TEST_F(WireTest, EmptyAttachedFdIsAProtocolError) {
  auto bytes = encode_stream_description(sample_stream(1, SyncMode::Gpu))->bytes;
  std::vector<UniqueFd> fds = make_fds(4);
  fds.emplace_back();  // -1
  auto result = decode(bytes, std::move(fds));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Protocol);
}

// Random bytes, truncations, bit flips and byte overwrites of valid messages, with random
// fds attached: decode never crashes, never leaks, and whatever it accepts re-encodes to the
// very same bytes (the encoding is canonical, so nothing "almost valid" slips through).
TEST_F(WireTest, FuzzedInputNeverCrashesOrLeaks) {
  std::mt19937_64 random(20240611);
  std::vector<std::vector<std::uint8_t>> corpus;
  std::vector<std::size_t> corpus_fds;
  for (const Message& message : sample_messages()) {
    auto encoded = encode(message);
    ASSERT_TRUE(encoded);
    corpus.push_back(encoded->bytes);
    corpus_fds.push_back(encoded->handles.size());
  }
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::size_t accepted = 0;
  for (int iteration = 0; iteration < 10000; ++iteration) {
    const std::size_t which = pick(corpus.size());
    std::vector<std::uint8_t> bytes = corpus[which];
    std::size_t fd_count = corpus_fds[which];
    switch (pick(5)) {
      case 0:  // random bytes, sometimes behind a valid magic and version
        bytes.resize(pick(128));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
        if (bytes.size() >= 6 && pick(2) == 0) {
          put(bytes, 0, kWireMagic, 4);
          put(bytes, 4, kProtocolVersion, 2);
        }
        break;
      case 1:  // truncation
        bytes.resize(pick(bytes.size() + 1));
        break;
      case 2:  // bit flips
        for (std::size_t flips = 1 + pick(4); flips > 0; --flips) {
          bytes[pick(bytes.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
        }
        break;
      case 3:  // byte overwrite in the body
        if (bytes.size() > kHeaderSize) {
          bytes[kHeaderSize + pick(bytes.size() - kHeaderSize)] =
              static_cast<std::uint8_t>(random());
        }
        break;
      case 4:  // valid bytes, wrong number of fds
        fd_count = pick(8);
        break;
    }
    if (pick(10) == 0) fd_count = pick(5);
    auto result = decode(bytes, make_fds(fd_count));
    if (result) {
      ++accepted;
      auto again = encode(*result);
      ASSERT_TRUE(again) << "decoded a message that does not re-encode: "
                         << again.error().to_string();
      ASSERT_EQ(again->bytes, bytes) << "iteration " << iteration;
    } else {
      ASSERT_EQ(result.error().code(), ErrorCode::Protocol) << result.error().to_string();
    }
    if (iteration % 1000 == 0) {
      ASSERT_EQ(open_fd_count(), baseline_) << "iteration " << iteration;
    }
  }
  // Bit flips in payload fields (frame numbers, uuids) stay valid: some must be accepted.
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace geyser::ipc
