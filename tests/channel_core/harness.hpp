// What the channel core's tests share: publishing and connecting over a LoopbackTransport
// with the fake backend, writing and checking the test pattern, serving a sender while a
// receiver connects on the same thread, and raw wire access for hostile peers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "fake_backend.hpp"
#include "geyser/channel/receiver_core.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/wire.hpp"

namespace geyser::channel::test {

/// A short wait: what sends and the sender's acquire get, and what waits that are meant
/// to time out take.
inline constexpr std::chrono::milliseconds kShort{5};
/// A receiver's acquire that must succeed: it returns as soon as it does, so only a
/// failing test waits this long (a loaded machine may deschedule us for longer than kShort).
inline constexpr std::chrono::milliseconds kWait{250};
/// An upper bound that only a bug reaches (connecting while a sender serves).
inline constexpr std::chrono::milliseconds kBound{2000};
/// The channel every test publishes.
inline constexpr const char* kChannel = "core-test";

/// A small 2D descriptor (8x4 RGBA8 by default).
[[nodiscard]] TextureDescriptor small_desc(std::uint32_t width = 8, std::uint32_t height = 4,
                                           TextureFormat format = TextureFormat::Rgba8Unorm);
/// The test pattern of frame `frame` for `desc`, tightly packed.
[[nodiscard]] std::vector<std::uint8_t> pattern(const TextureDescriptor& desc, std::uint64_t frame);

/// The one ipc::LoopbackTransport of a test, with a hook that lets a sender and its
/// receivers run on one thread: while a hook is set (Serving), a connection made through
/// it that is about to wait for a message runs the hook first (which polls the sender).
/// Everything else is the LoopbackTransport's own behaviour.
class TestTransport final : public ipc::Transport {
 public:
  struct Hook;
  TestTransport();
  ~TestTransport() override;

  [[nodiscard]] Result<std::unique_ptr<ipc::TransportListener>> listen(
      std::string_view name) override;
  [[nodiscard]] Result<std::unique_ptr<ipc::Connection>> connect(
      std::string_view name, ipc::Milliseconds timeout) override;
  /// LoopbackTransport::connect_as: connects posing as `client`.
  [[nodiscard]] Result<std::unique_ptr<ipc::Connection>> connect_as(
      std::string_view name, const ipc::PeerCredentials& client, ipc::Milliseconds timeout);
  /// LoopbackTransport::listen_as: publishes `name`, its clients seeing `owner` as their peer.
  [[nodiscard]] Result<std::unique_ptr<ipc::TransportListener>> listen_as(
      std::string_view name, const ipc::PeerCredentials& owner);
  [[nodiscard]] Result<std::vector<std::string>> list() override { return loopback_->list(); }
  [[nodiscard]] std::string describe() const override { return loopback_->describe(); }

  /// Runs `hook` whenever a connection of this transport would wait, until destroyed.
  class Serving {
   public:
    Serving(TestTransport& transport, std::function<void()> hook);
    ~Serving();
    Serving(const Serving&) = delete;
    Serving& operator=(const Serving&) = delete;

   private:
    TestTransport& transport_;
  };

 private:
  std::shared_ptr<ipc::LoopbackTransport> loopback_;
  std::shared_ptr<Hook> hook_;
};

/// A new transport for one test.
[[nodiscard]] inline std::shared_ptr<TestTransport> make_transport() {
  return std::make_shared<TestTransport>();
}

/// Sender options over `transport` with short send and gpu timeouts.
[[nodiscard]] SenderOptions sender_options(std::shared_ptr<ipc::Transport> transport);
/// Receiver options over `transport` with a short gpu timeout.
[[nodiscard]] ReceiverOptions receiver_options(std::shared_ptr<ipc::Transport> transport);

/// Publishes `name` over a FakeSenderBackend controlled by `control`.
[[nodiscard]] Result<SenderCore> publish_fake(std::shared_ptr<ipc::Transport> transport,
                                              std::shared_ptr<FakeSenderControl> control,
                                              const TextureDescriptor& desc = small_desc(),
                                              const char* name = kChannel);
/// The same with options of the caller's (their transport must be set).
[[nodiscard]] Result<SenderCore> publish_fake(const SenderOptions& options,
                                              std::shared_ptr<FakeSenderControl> control,
                                              const TextureDescriptor& desc = small_desc(),
                                              const char* name = kChannel);

/// SenderCore::write of the test pattern of the next frame; returns its number.
[[nodiscard]] Result<std::uint64_t> write_frame(SenderCore& sender,
                                                std::chrono::milliseconds timeout = kShort);

/// Connects a receiver over a FakeReceiverBackend while `sender` answers it (one thread).
[[nodiscard]] Result<ReceiverCore> connect_fake(
    SenderCore& sender, std::shared_ptr<TestTransport> transport,
    std::shared_ptr<FakeReceiverControl> control = std::make_shared<FakeReceiverControl>(),
    const char* name = kChannel);
/// Connects with nobody serving here (no sender, or one served elsewhere).
[[nodiscard]] Result<ReceiverCore> connect_unserved(std::shared_ptr<ipc::Transport> transport,
                                                    std::shared_ptr<FakeReceiverControl> control,
                                                    std::chrono::milliseconds timeout,
                                                    const char* name = kChannel);
/// ReceiverCore::acquire on a receiver that has to reconnect first (over `transport`):
/// serves `sender` and, once the receiver has joined it, writes one frame for it to get.
[[nodiscard]] Result<FrameLease> acquire_reconnecting(ReceiverCore& receiver, SenderCore& sender,
                                                      TestTransport& transport,
                                                      std::chrono::milliseconds timeout = kBound);

/// Whether the bytes of `slot` are the test pattern of frame `frame`.
[[nodiscard]] ::testing::AssertionResult holds_pattern(const ImportedSlot& slot,
                                                       std::uint64_t frame);
/// Whether a lease's slot holds the test pattern of the lease's frame.
[[nodiscard]] ::testing::AssertionResult holds_pattern(const FrameLease& lease);

/// Readable within `timeout_ms` (0: now).
[[nodiscard]] bool readable(NativeHandle handle, int timeout_ms = 0);
/// Open descriptors of this process.
[[nodiscard]] std::size_t fd_count();

// --- raw wire access, for hostile peers and senders ---

/// A Hello as a ReceiverCore with a fake backend of `identity` sends it.
[[nodiscard]] ipc::Hello fake_hello(const DeviceIdentity& identity = fake_identity());
/// The bytes of `message` (none when it cannot be encoded).
[[nodiscard]] std::vector<std::uint8_t> encode_bytes(const ipc::Message& message);
/// Sends `message` as it is encoded.
[[nodiscard]] Result<void> send_message(ipc::Connection& connection, const ipc::Message& message);

/// What a raw peer received until the connection closed or nothing more came.
struct PeerSaw {
  std::vector<ipc::MessageType> messages;
  std::optional<ErrorCode> error;  ///< the code of an Error message among them
  std::optional<ipc::Description> description;
  std::uint64_t generation = 0;  ///< of the last StreamDescription
  /// The frame board and receiver page of the last StreamDescription, mapped.
  std::shared_ptr<ipc::BoardReader> board;
  std::shared_ptr<ipc::ReceiverPage> page;
  bool closed = false;   ///< the other end closed the connection
  bool garbage = false;  ///< something arrived that does not decode
};
/// Reads what `connection` has waiting, waiting at most `timeout` for each message.
[[nodiscard]] PeerSaw drain(ipc::Connection& connection,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

}  // namespace geyser::channel::test
