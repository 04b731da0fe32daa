#include "soak/garbage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/ipc/wire.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::soak {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Bytes = std::vector<std::uint8_t>;

// Offsets in the 16-byte header (docs/protocol.md): magic 0, version 4, type 6, body size 8,
// handle count 12, reserved 14.
constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kTypeOffset = 6;
constexpr std::size_t kHandleCountOffset = 12;
constexpr std::size_t kReservedOffset = 14;

// One message of a malformed peer: bytes, and how many /dev/null descriptors go with them.
struct Packet {
  Bytes bytes;
  int fds = 0;
};

struct Kind {
  std::string name;
  std::vector<Packet> packets;
  bool says_hello_first = false;  // may be answered StreamDescription and frames first
};

Bytes patched(Bytes bytes, std::size_t offset, std::uint8_t value) {
  bytes.at(offset) = value;
  return bytes;
}

Bytes cut(const Bytes& bytes, std::size_t size) {
  return Bytes(bytes.begin(), bytes.begin() + static_cast<long>(std::min(size, bytes.size())));
}

Bytes random_bytes(std::mt19937_64& rng, std::size_t min_size, std::size_t max_size) {
  Bytes out(std::uniform_int_distribution<std::size_t>(min_size, max_size)(rng));
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

template <typename Encoded>
Bytes bytes_of(Encoded encoded) {
  return encoded ? encoded->bytes : Bytes{};
}

Bytes hello_bytes(const DeviceIdentity& identity) {
  ipc::Hello hello;
  hello.client_pid = static_cast<std::uint32_t>(getpid());
  hello.identity = identity;
  return bytes_of(ipc::encode_hello(hello));
}

// Protocol version 1's per-frame message (FramePresented, type 3): a v2 peer refuses it.
Bytes frame_presented_bytes() {
  Bytes bytes = bytes_of(ipc::encode_goodbye({}));
  bytes[kTypeOffset] = 3;
  return bytes;
}

// The malformed clients of tests/channel/channel_test.cpp (MalformedClientsAreDroppedOthers
// CarryOn), and random bytes, so that every run also tries what nobody thought of.
std::vector<Kind> client_kinds(const DeviceIdentity& identity, std::mt19937_64& rng) {
  const Bytes hello = hello_bytes(identity);
  Bytes longer = hello;
  longer.resize(hello.size() + 8, 0);
  // Protocol version 1's FrameReleased (type 4): no message of version 2.
  Bytes release_bytes = bytes_of(ipc::encode_goodbye({}));
  release_bytes[kTypeOffset] = 4;
  const Bytes describe_bytes = bytes_of(ipc::encode_describe_request({}));
  return {
      {"random bytes", {{random_bytes(rng, 1, 400), 0}}},
      {"random bytes with fds", {{random_bytes(rng, 1, 64), 3}}},
      {"one byte", {{{0x47}, 0}}},
      {"truncated header", {{cut(hello, 10), 0}}},
      {"truncated body", {{cut(hello, 30), 0}}},
      {"body longer than declared", {{longer, 0}}},
      {"wrong magic", {{patched(hello, 0, 'X'), 0}}},
      {"wrong version", {{patched(hello, kVersionOffset, 3), 0}}},
      {"version 1 Hello", {{patched(hello, kVersionOffset, 1), 0}}},
      {"unknown type", {{patched(hello, kTypeOffset, 99), 0}}},
      {"non-zero reserved", {{patched(hello, kReservedOffset, 1), 0}}},
      {"fds where none belong", {{hello, 1}}},
      {"fd count declared on Hello", {{patched(hello, kHandleCountOffset, 1), 1}}},
      {"too many fds", {{hello, 60}}},
      {"release before Hello", {{release_bytes, 0}}},
      {"Hello then garbage", {{hello, 0}, {random_bytes(rng, 1, 64), 0}}, true},
      {"second Hello", {{hello, 0}, {hello, 0}}, true},
      {"DescribeRequest after Hello", {{hello, 0}, {describe_bytes, 0}}, true},
      {"release of a frame not held", {{hello, 0}, {release_bytes, 0}}, true},
      {"Hello from another device", {{hello_bytes(DeviceIdentity{}), 0}}},
  };
}

// What a garbage sender answers a receiver's Hello with. None of them is a stream the
// receiver may import; an Error says Internal, not PermissionDenied (which a receiver is
// right to give up on, as from an impostor of another uid).
std::vector<Kind> reply_kinds(std::mt19937_64& rng) {
  const Bytes frame = frame_presented_bytes();
  // A StreamDescription header over a body that is no StreamDescription, with descriptors:
  // the receiver must close them.
  Bytes description = patched(patched(frame, kTypeOffset, 2), kHandleCountOffset, 3);
  return {
      {"random bytes", {{random_bytes(rng, 1, 400), 0}}},
      {"random bytes with fds", {{random_bytes(rng, 16, 200), 2}}},
      {"wrong magic", {{patched(frame, 0, 'X'), 0}}},
      {"wrong version", {{patched(frame, kVersionOffset, 9), 0}}},
      {"unknown type", {{patched(frame, kTypeOffset, 99), 0}}},
      {"truncated", {{cut(frame, 10), 0}}},
      {"frame before description", {{frame, 0}}},
      {"bogus description with fds", {{description, 3}}},
      {"Hello back", {{hello_bytes(DeviceIdentity{}), 0}}},
      {"Goodbye", {{bytes_of(ipc::encode_goodbye({})), 0}}},
      {"Error", {{bytes_of(ipc::encode_error({ErrorCode::Internal, "garbage sender"})), 0}}},
      {"silent", {}},
      {"close at once", {}},
  };
}

template <typename T>
const T& pick(const std::vector<T>& from, std::mt19937_64& rng) {
  return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
}

// Sends the packets; false once the peer has closed (which a malformed peer must expect).
bool send_packets(const UniqueFd& socket, const std::vector<Packet>& packets) {
  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  for (const Packet& packet : packets) {
    if (packet.bytes.empty()) continue;
    std::vector<int> fds(static_cast<std::size_t>(packet.fds), dev_null.get());
    if (!ipc::send_message(socket, packet.bytes, fds, milliseconds(500))) return false;
  }
  return true;
}

// Reads what the sender answers a malformed client until it closes the connection.
void read_until_closed(const UniqueFd& socket, const Kind& kind, milliseconds deadline,
                       GarbageClientResult& result) {
  const auto end = Clock::now() + deadline;
  while (Clock::now() < end) {
    auto message = ipc::receive(socket, milliseconds(50));  // owns (and closes) any fds
    if (!message) {
      if (message.error().code() == ErrorCode::Timeout) continue;
      if (message.error().code() == ErrorCode::Disconnected) {
        result.closed_by_sender = true;
      } else {
        result.problem = "the sender sent something undecodable: " + message.error().to_string();
      }
      return;
    }
    const auto type = ipc::message_type(*message);
    const bool allowed = type == ipc::MessageType::Error ||
                         (kind.says_hello_first && type == ipc::MessageType::StreamDescription);
    if (!allowed) {
      result.problem = "the sender answered " + std::string(ipc::to_string(type));
      return;
    }
  }
  result.problem =
      "the sender did not close the connection within " + std::to_string(deadline.count()) + " ms";
}

}  // namespace

GarbageClientResult spray_garbage_client(const std::filesystem::path& dir, const std::string& name,
                                         const DeviceIdentity& identity, std::mt19937_64& rng,
                                         milliseconds deadline) {
  const auto kinds = client_kinds(identity, rng);
  const Kind& kind = pick(kinds, rng);
  GarbageClientResult result;
  result.kind = kind.name;
  auto socket = ipc::connect_channel(dir, name, milliseconds(500));
  if (!socket) {
    result.problem = "connect: " + socket.error().to_string();
    return result;
  }
  result.connected = true;
  (void)send_packets(*socket, kind.packets);
  read_until_closed(*socket, kind, deadline, result);
  return result;
}

GarbageSenderResult run_garbage_sender(const std::filesystem::path& dir, const std::string& name,
                                       std::mt19937_64& rng, milliseconds duration) {
  GarbageSenderResult result;
  auto listener = ipc::publish_channel(dir, name);
  if (!listener) {
    result.error = listener.error().to_string();
    return result;
  }
  result.published = true;
  // Silent connections stay open until the end, so that their receivers wait on them.
  std::vector<UniqueFd> silent;
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    auto accepted = listener->accept(milliseconds(10));
    if (!accepted) continue;
    // The receiver's Hello (or nothing); what it says does not matter to an impostor.
    (void)ipc::receive_message(*accepted, ipc::kMaxMessageSize, 64, milliseconds(100));
    const auto kinds = reply_kinds(rng);
    const Kind& kind = pick(kinds, rng);
    (void)send_packets(*accepted, kind.packets);
    ++result.answered;
    result.kinds.push_back(kind.name);
    if (kind.name == "silent") silent.push_back(std::move(accepted).value());
  }
  return result;  // closes every connection, then unpublishes the name
}

}  // namespace geyser::soak
