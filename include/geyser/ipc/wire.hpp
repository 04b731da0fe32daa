// The wire codec: Geyser's messages as bytes plus attached file descriptors. Little-endian,
// versioned, a fixed 16-byte header and a bounded body; docs/protocol.md is the
// specification and this file is one implementation of it.
//
// Pure logic: nothing here touches a socket (see socket.hpp and message_io.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "geyser/color.hpp"
#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/sync.hpp"
#include "geyser/texture.hpp"
#include "geyser/transfer.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc {

/// "GYSR" as the four bytes on the wire, read as a little-endian u32.
inline constexpr std::uint32_t kWireMagic = 0x52535947;
/// The one protocol version this implementation speaks. Version 2 announces frames
/// through shared memory (frame_board.hpp); a peer of another version is refused with an
/// error that names both.
inline constexpr std::uint16_t kProtocolVersion = 2;
/// Size of the fixed header that starts every message.
inline constexpr std::size_t kHeaderSize = 16;
/// Largest body a message may have.
inline constexpr std::size_t kMaxBodySize = 64 * 1024;
/// Largest message (header + body): what a receiver asks the socket for.
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + kMaxBodySize;
/// Most slots in a stream's ring.
inline constexpr std::size_t kMaxSlots = 16;
/// Descriptors per slot in a StreamDescription: memory, ready timeline, released timeline.
inline constexpr std::size_t kHandlesPerSlot = 3;
/// Descriptors per StreamDescription before the slots': the frame board and the receiver page.
inline constexpr std::size_t kHandlesPerStream = 2;
/// Most descriptors any message carries (a StreamDescription of kMaxSlots slots).
inline constexpr std::size_t kMaxHandlesPerMessage =
    kHandlesPerStream + kMaxSlots * kHandlesPerSlot;
/// Longest message text in an Error message, in bytes of UTF-8.
inline constexpr std::size_t kMaxErrorTextSize = 1024;

/// The message types. Values are the `type` field of the header.
enum class MessageType : std::uint16_t {
  Hello = 1,              ///< receiver -> sender, first message of a receiver connection
  StreamDescription = 2,  ///< sender -> receiver, once per generation, with the slot fds
  // 3 and 4 were FramePresented and FrameReleased in version 1: version 2 announces and
  // releases frames through shared memory (frame_board.hpp).
  DescribeRequest = 5,  ///< lister -> sender, first and only message of a `geyser list` query
  Description = 6,      ///< sender -> lister, the answer
  Goodbye = 7,          ///< either way, an orderly close
  Error = 8,            ///< either way, why the connection is being closed
};
/// "Hello", "StreamDescription", ...; "Unknown" for other values.
[[nodiscard]] std::string_view to_string(MessageType type) noexcept;

/// The fixed header as decoded (decode_header checks magic, version, reserved, body bound).
struct WireHeader {
  std::uint32_t magic = kWireMagic;
  std::uint16_t version = kProtocolVersion;
  MessageType type = MessageType::Goodbye;
  std::uint32_t body_size = 0;
  std::uint16_t handle_count = 0;
};

/// A receiver introduces itself: what it speaks, who it is, what it can do and on which
/// device it will import.
struct Hello {
  std::uint16_t protocol_version = kProtocolVersion;  ///< must equal the header's version
  std::uint32_t client_pid = 0;  ///< informational; trust SO_PEERCRED, not this
  SyncCapabilities sync;
  DeviceIdentity identity;  ///< all zero for a receiver with no device (TransferRequest::Host)
  TransferRequest transfer = TransferRequest::Device;
  friend bool operator==(const Hello&, const Hello&) = default;
};

/// One slot's descriptors. In SyncMode::Gpu `ready` and `released` are opaque
/// timeline-semaphore fds; in SyncMode::Cpu they are CpuTimeline memfds.
struct SlotHandles {
  UniqueHandle memory;    ///< the texture's memory (MemoryHandleType)
  UniqueHandle ready;     ///< the sender signals frame N here when it is written
  UniqueHandle released;  ///< the receiver signals frame N here when it is done reading it
};

/// A stream generation: what every slot's texture is and the descriptors to import them,
/// with the frame board and this receiver's page. For host frames (handle type HostMemfd)
/// each slot's memory is a sealed memfd of `image.allocation_size` bytes holding the frame's
/// rows `row_pitch` bytes apart; the Vulkan fields of `image` are then 0 and the sync mode
/// is cpu. Owns its fds (decode moves the received
/// ones in; encode borrows them).
struct StreamDescription {
  std::uint64_t generation = 0;
  TextureDescriptor descriptor;
  VulkanImageInfo image;
  MemoryHandleType handle_type = MemoryHandleType::OpaqueFd;
  DeviceIdentity identity;
  SyncMode sync_mode = SyncMode::Cpu;
  ColorDescription color;
  /// Bytes from one row to the next in linear slots; 0 for optimal images.
  std::uint32_t row_pitch = 0;
  /// The first frame whose readiness this receiver's slot timelines carry: frames on the
  /// board below it were presented before this receiver's links existed (a late joiner
  /// skips them). At least 1.
  std::uint64_t first_frame = 1;
  UniqueHandle board;              ///< the sender's frame board (read-only for receivers)
  UniqueHandle page;               ///< this receiver's page
  std::vector<SlotHandles> slots;  ///< 1..kMaxSlots, each with kHandlesPerSlot valid fds
};

/// Makes `d` describe host slots (docs/host-frames.md): memory handle type HostMemfd, no
/// Vulkan image fields, each slot's memfd `slot_size` bytes with rows `row_pitch` apart.
void describe_host_slots(StreamDescription& d, std::uint32_t row_pitch,
                         std::uint64_t slot_size) noexcept;

/// `geyser list` asks a sender to describe its channel. Empty body.
struct DescribeRequest {
  friend bool operator==(const DescribeRequest&, const DescribeRequest&) = default;
};

/// A sender's answer to DescribeRequest.
struct Description {
  std::uint32_t width = 1;
  std::uint32_t height = 1;
  TextureFormat format = TextureFormat::Rgba8Unorm;
  SyncMode sync_mode = SyncMode::Cpu;
  std::uint32_t fps_milli = 0;  ///< frames per second times 1000 (59.94 fps = 59940)
  std::uint64_t frame_count = 0;
  std::uint32_t receiver_count = 0;  ///< every connected receiver
  std::uint32_t sender_pid = 0;
  std::uint16_t protocol_version = kProtocolVersion;
  ColorDescription color;
  /// Of receiver_count, those that take host frames. Last, so that aggregate initialisers
  /// of the fields above stay valid.
  std::uint32_t host_receiver_count = 0;
  friend bool operator==(const Description&, const Description&) = default;
};

/// An orderly close. Empty body.
struct Goodbye {
  friend bool operator==(const Goodbye&, const Goodbye&) = default;
};

/// Why the peer is closing the connection.
struct ErrorMessage {
  ErrorCode code = ErrorCode::Protocol;
  std::string text;  ///< UTF-8, at most kMaxErrorTextSize bytes on the wire
  friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

/// Any message. Move-only because StreamDescription owns fds.
using Message =
    std::variant<Hello, StreamDescription, DescribeRequest, Description, Goodbye, ErrorMessage>;

/// The type of a message.
[[nodiscard]] MessageType message_type(const Message& message) noexcept;

/// A message ready to send: its bytes and the descriptors to attach, in order. The fds are
/// borrowed from the message that was encoded: they stay valid while it lives and are
/// never closed through this struct.
struct EncodedMessage {
  std::vector<std::uint8_t> bytes;
  std::vector<NativeHandle> handles;
};

/// Encoders. Each checks its input and fails with Validation naming the bad field (slot
/// count out of 1..kMaxSlots, a missing fd, an invalid descriptor, enum or extent). An Error
/// message's text is cut to kMaxErrorTextSize at a UTF-8 boundary and invalid UTF-8 bytes
/// are replaced by '?', so that encoding an error never fails.
[[nodiscard]] Result<EncodedMessage> encode_hello(const Hello& message);
[[nodiscard]] Result<EncodedMessage> encode_stream_description(const StreamDescription& message);
[[nodiscard]] Result<EncodedMessage> encode_describe_request(const DescribeRequest& message);
[[nodiscard]] Result<EncodedMessage> encode_description(const Description& message);
[[nodiscard]] Result<EncodedMessage> encode_goodbye(const Goodbye& message);
[[nodiscard]] Result<EncodedMessage> encode_error(const ErrorMessage& message);
/// Encodes any message with the encoder of its type.
[[nodiscard]] Result<EncodedMessage> encode(const Message& message);

/// Decodes and checks the header at the start of `bytes`: Protocol for fewer than
/// kHeaderSize bytes, a wrong magic, another protocol version (the message names both), non-zero
/// reserved bits or a body longer than kMaxBodySize. Does not check the type or the body.
[[nodiscard]] Result<WireHeader> decode_header(std::span<const std::uint8_t> bytes);

/// Decodes one whole message. Consumes `fds`: on success they are moved into the message
/// (only StreamDescription carries any), on failure every one of them is closed. Fails
/// with Protocol, naming the problem, for: a bad header (see decode_header), an unknown
/// type, a body size that differs from the bytes present or from the type's layout, an
/// fd count in the header that differs from the fds attached or from what the type
/// declares (none except StreamDescription, which has exactly kHandlesPerStream + slot count
/// x kHandlesPerSlot),
/// a slot count or slot index out of bounds, an invalid enum value (format, sync mode,
/// handle type, error code, colour description), a descriptor that geyser::validate rejects,
/// non-zero reserved fields and invalid UTF-8.
[[nodiscard]] Result<Message> decode(std::span<const std::uint8_t> bytes,
                                     std::vector<UniqueHandle> handles);

}  // namespace geyser::ipc
