#include "harness.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "geyser/ipc/message_io.hpp"
#include "geyser/test_pattern.hpp"
#include "ipc/fd_count.hpp"

namespace geyser::channel::test {

TextureDescriptor small_desc(std::uint32_t width, std::uint32_t height, TextureFormat format) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = height;
  desc.format = format;
  return desc;
}

std::vector<std::uint8_t> pattern(const TextureDescriptor& desc, std::uint64_t frame) {
  const std::uint32_t texel = format_info(desc.format).texel_size;
  std::vector<std::uint8_t> bytes(tight_size_bytes(desc));
  fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
  return bytes;
}

SenderOptions sender_options(std::shared_ptr<ipc::Transport> transport) {
  SenderOptions options;
  options.transport = std::move(transport);
  options.send_timeout = kShort;
  options.gpu_timeout = kShort;
  return options;
}

ReceiverOptions receiver_options(std::shared_ptr<ipc::Transport> transport) {
  ReceiverOptions options;
  options.transport = std::move(transport);
  options.gpu_timeout = kShort;
  return options;
}

Result<SenderCore> publish_fake(std::shared_ptr<ipc::Transport> transport,
                                std::shared_ptr<FakeSenderControl> control,
                                const TextureDescriptor& desc, const char* name) {
  return publish_fake(sender_options(std::move(transport)), std::move(control), desc, name);
}

Result<SenderCore> publish_fake(const SenderOptions& options,
                                std::shared_ptr<FakeSenderControl> control,
                                const TextureDescriptor& desc, const char* name) {
  return SenderCore::publish(std::make_unique<FakeSenderBackend>(std::move(control)), name, desc,
                             options);
}

Result<std::uint64_t> write_frame(SenderCore& sender, std::chrono::milliseconds timeout) {
  // SenderCore::write by hand, so that the pattern is the frame number acquire gave (a
  // failed present uses its number up).
  GEYSER_TRY(const SlotLease lease, sender.acquire(timeout));
  if (auto written = sender.backend().write(lease.slot, pattern(sender.descriptor(), lease.frame));
      !written) {
    sender.cancel(lease);
    return tl::unexpected(std::move(written).error());
  }
  GEYSER_TRY_VOID(sender.present(lease));
  return lease.frame;
}

// --- TestTransport ---

struct TestTransport::Hook {
  std::mutex mutex;
  std::function<void()> function;

  std::function<void()> get() {
    std::lock_guard lock(mutex);
    return function;
  }
  void set(std::function<void()> f) {
    std::lock_guard lock(mutex);
    function = std::move(f);
  }
};

namespace {

// A LoopbackTransport connection that runs the hook before it would wait for a message.
class HookedConnection final : public ipc::Connection {
 public:
  HookedConnection(std::unique_ptr<ipc::Connection> inner,
                   std::shared_ptr<TestTransport::Hook> hook)
      : inner_(std::move(inner)), hook_(std::move(hook)) {}

  Result<void> send(std::span<const std::uint8_t> bytes, std::span<const NativeHandle> handles,
                    ipc::Milliseconds timeout) override {
    return inner_->send(bytes, handles, timeout);
  }
  Result<ipc::Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                              ipc::Milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto got = inner_->receive(max_bytes, max_handles, std::chrono::milliseconds(0));
      if (got || got.error().code() != ErrorCode::Timeout) return got;
      const auto hook = hook_->get();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (!hook || left.count() <= 0) return inner_->receive(max_bytes, max_handles, left);
      hook();
      got = inner_->receive(max_bytes, max_handles, std::chrono::milliseconds(0));
      if (got || got.error().code() != ErrorCode::Timeout) return got;
      // Nothing yet: wait a little for another thread, then serve again.
      got = inner_->receive(max_bytes, max_handles, std::min(left, std::chrono::milliseconds(1)));
      if (got || got.error().code() != ErrorCode::Timeout) return got;
    }
  }
  const ipc::PeerCredentials& peer() const noexcept override { return inner_->peer(); }
  NativeHandle native_handle() const noexcept override { return inner_->native_handle(); }

 private:
  std::unique_ptr<ipc::Connection> inner_;
  std::shared_ptr<TestTransport::Hook> hook_;
};

}  // namespace

TestTransport::TestTransport()
    : loopback_(std::make_shared<ipc::LoopbackTransport>()), hook_(std::make_shared<Hook>()) {}

TestTransport::~TestTransport() = default;

Result<std::unique_ptr<ipc::TransportListener>> TestTransport::listen(std::string_view name) {
  return loopback_->listen(name);
}

Result<std::unique_ptr<ipc::TransportListener>> TestTransport::listen_as(
    std::string_view name, const ipc::PeerCredentials& owner) {
  return loopback_->listen_as(name, owner);
}

Result<std::unique_ptr<ipc::Connection>> TestTransport::connect(std::string_view name,
                                                                ipc::Milliseconds timeout) {
  GEYSER_TRY(auto inner, loopback_->connect(name, timeout));
  return std::unique_ptr<ipc::Connection>(new HookedConnection(std::move(inner), hook_));
}

Result<std::unique_ptr<ipc::Connection>> TestTransport::connect_as(
    std::string_view name, const ipc::PeerCredentials& client, ipc::Milliseconds timeout) {
  GEYSER_TRY(auto inner, loopback_->connect_as(name, client, timeout));
  return std::unique_ptr<ipc::Connection>(new HookedConnection(std::move(inner), hook_));
}

TestTransport::Serving::Serving(TestTransport& transport, std::function<void()> hook)
    : transport_(transport) {
  transport_.hook_->set(std::move(hook));
}

TestTransport::Serving::~Serving() {
  transport_.hook_->set({});
}

Result<ReceiverCore> connect_fake(SenderCore& sender, std::shared_ptr<TestTransport> transport,
                                  std::shared_ptr<FakeReceiverControl> control, const char* name) {
  TestTransport::Serving serving(*transport, [&] { (void)sender.poll(); });
  return connect_unserved(std::move(transport), std::move(control), kBound, name);
}

Result<ReceiverCore> connect_unserved(std::shared_ptr<ipc::Transport> transport,
                                      std::shared_ptr<FakeReceiverControl> control,
                                      std::chrono::milliseconds timeout, const char* name) {
  ReceiverOptions options = receiver_options(std::move(transport));
  options.transfer = control->transfer;
  if (control->gpu_timeout.count() > 0) options.gpu_timeout = control->gpu_timeout;
  if (control->spin.count() >= 0) options.spin = control->spin;
  return ReceiverCore::connect(std::make_unique<FakeReceiverBackend>(std::move(control)), name,
                               timeout, options);
}

Result<FrameLease> acquire_reconnecting(ReceiverCore& receiver, SenderCore& sender,
                                        TestTransport& transport,
                                        std::chrono::milliseconds timeout) {
  // Closes the receiver's old connection first, if the sender has not seen it go yet.
  (void)sender.poll();
  const std::uint32_t before = sender.stats().receivers;
  bool written = false;
  TestTransport::Serving serving(transport, [&] {
    (void)sender.poll();
    if (!written && sender.stats().receivers > before) {
      written = true;
      (void)write_frame(sender);
    }
  });
  return receiver.acquire(timeout);
}

::testing::AssertionResult holds_pattern(const ImportedSlot& slot, std::uint64_t frame) {
  const TextureDescriptor& desc = slot_descriptor(slot);
  const std::vector<std::uint8_t> bytes = read_slot(slot);
  if (bytes.size() != tight_size_bytes(desc)) {
    return ::testing::AssertionFailure()
           << "the slot has " << bytes.size() << " bytes, not " << tight_size_bytes(desc);
  }
  if (auto mismatch = check_test_pattern(bytes, desc.width, desc.height,
                                         format_info(desc.format).texel_size, frame)) {
    return ::testing::AssertionFailure()
           << "frame " << frame << " (" << describe(desc) << "): " << mismatch->to_string();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult holds_pattern(const FrameLease& lease) {
  if (!lease.slot_import) return ::testing::AssertionFailure() << "the lease has no slot";
  return holds_pattern(*lease.slot_import, lease.frame);
}

bool readable(NativeHandle handle, int timeout_ms) {
  pollfd entry{handle, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) == 1 && (entry.revents & POLLIN) != 0;
}

std::size_t fd_count() {
  return ipc::test::open_fd_count();
}

ipc::Hello fake_hello(const DeviceIdentity& identity) {
  ipc::Hello hello;
  hello.client_pid = static_cast<std::uint32_t>(::getpid());
  hello.identity = identity;
  return hello;
}

std::vector<std::uint8_t> encode_bytes(const ipc::Message& message) {
  auto encoded = ipc::encode(message);
  return encoded ? encoded->bytes : std::vector<std::uint8_t>{};
}

Result<void> send_message(ipc::Connection& connection, const ipc::Message& message) {
  return ipc::send(connection, message, kShort);
}

PeerSaw drain(ipc::Connection& connection, std::chrono::milliseconds timeout) {
  PeerSaw saw;
  for (int i = 0; i < 1000; ++i) {
    auto message = ipc::receive(connection, timeout);
    if (!message) {
      const ErrorCode code = message.error().code();
      if (code == ErrorCode::Disconnected) {
        saw.closed = true;
      } else if (code != ErrorCode::Timeout) {
        saw.garbage = true;
        continue;
      }
      break;
    }
    saw.messages.push_back(ipc::message_type(*message));
    if (auto* error = std::get_if<ipc::ErrorMessage>(&*message)) saw.error = error->code;
    if (auto* description = std::get_if<ipc::Description>(&*message)) {
      saw.description = *description;
    }
    if (auto* stream = std::get_if<ipc::StreamDescription>(&*message)) {
      saw.generation = stream->generation;
      auto board = ipc::BoardReader::open(std::move(stream->board));
      auto page = ipc::ReceiverPage::open(std::move(stream->page));
      EXPECT_TRUE(board && page) << "the StreamDescription's board or page does not map";
      if (board) saw.board = std::make_shared<ipc::BoardReader>(std::move(board).value());
      if (page) saw.page = std::make_shared<ipc::ReceiverPage>(std::move(page).value());
    }
  }
  return saw;
}

}  // namespace geyser::channel::test
