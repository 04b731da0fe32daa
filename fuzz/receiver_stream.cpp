// Fuzz target: a ReceiverCore (with the channel-core tests' fake receiver backend) over an
// ipc::LoopbackTransport, talking to a raw listener that plays the sender. The raw sender
// reads the receiver's Hello, then sends the fuzzer's records (common.hpp) as messages:
// each with the handle count its header declares attached (up to kMaxHandlesPerMessage),
// taken in order from a real ring of a FakeSenderBackend (memory, ready, released per
// slot), so that a StreamDescription can be imported. Records up to the first one with
// flag bit 0 set go out while the receiver connects; after that, each batch (up to the next
// such record) is followed by an acquire(0), and flag bit 1 releases the frame held. The
// receiver must never crash, hang or leak, and must report every failure as an error.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "fake_backend.hpp"
#include "geyser/channel/receiver_core.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/message_io.hpp"

using namespace geyser;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannel = "fuzz";

// The raw sender: the listener, the accepted connection and the handles it attaches.
struct RawSender {
  std::unique_ptr<ipc::TransportListener> listener;
  std::unique_ptr<ipc::Connection> connection;
  std::shared_ptr<channel::test::FakeSenderControl> control =
      std::make_shared<channel::test::FakeSenderControl>();
  std::optional<channel::test::FakeSenderBackend> backend;
  std::vector<std::unique_ptr<channel::ProducerLink>> links;
  std::vector<UniqueHandle> sync;  // ready, released of each link
  std::vector<NativeHandle> pool;  // memory, ready, released per slot
  std::vector<fuzz::Record> records;
  std::size_t next = 0;
  bool hello_seen = false;

  // A ring of kMaxSlots 8x4 RGBA8 slots, made on first need.
  void make_pool() {
    if (!pool.empty()) return;
    backend.emplace(control);
    TextureDescriptor desc;
    desc.width = 8;
    desc.height = 4;
    if (!backend->create_slots(desc, ipc::kMaxSlots)) std::abort();
    for (std::size_t slot = 0; slot < ipc::kMaxSlots; ++slot) {
      auto link = backend->create_link(slot, SyncMode::Cpu);
      if (!link) std::abort();
      auto handles = (*link)->export_handles();
      if (!handles) std::abort();
      pool.push_back(backend->slot_export(slot).os_handle.get());
      pool.push_back(handles->ready.get());
      pool.push_back(handles->released.get());
      sync.push_back(std::move(handles->ready));
      sync.push_back(std::move(handles->released));
      links.push_back(std::move(link).value());
    }
  }

  // Accepts the receiver and reads its Hello (once).
  void accept_hello() {
    if (hello_seen) return;
    hello_seen = true;
    auto accepted = listener->accept(0ms);
    if (!accepted) return;
    connection = std::move(accepted).value();
    listener.reset();  // a reconnect finds nobody: Disconnected at once
    auto hello = ipc::receive(*connection, 0ms);
    if (!hello || !std::holds_alternative<ipc::Hello>(*hello)) std::abort();
  }

  // Sends the records up to and including the next one with flag bit 0 set.
  void send_batch() {
    if (!connection) return;
    while (next < records.size()) {
      const fuzz::Record& record = records[next++];
      std::size_t count = fuzz::declared_handles(record.bytes);
      if (count > ipc::kMaxHandlesPerMessage) count = ipc::kMaxHandlesPerMessage;
      std::span<const NativeHandle> handles;
      if (count > 0) {
        make_pool();
        handles = std::span<const NativeHandle>(pool.data(), count);
      }
      if (!record.bytes.empty()) (void)connection->send(record.bytes, handles, 0ms);
      if ((record.flags & 1) != 0) break;
    }
  }
  [[nodiscard]] bool done() const { return !connection || next >= records.size(); }
};

// A loopback connection whose first wait runs the raw sender (accept, Hello, first batch):
// the receiver connects on this one thread. While it connects, a wait with nothing to read
// fails at once (Protocol), so that an input without a description costs no time.
class HookedConnection final : public ipc::Connection {
 public:
  HookedConnection(std::unique_ptr<ipc::Connection> inner, RawSender& raw, bool& connecting)
      : inner_(std::move(inner)), raw_(raw), connecting_(connecting) {}
  Result<void> send(std::span<const std::uint8_t> bytes, std::span<const NativeHandle> handles,
                    ipc::Milliseconds timeout) override {
    return inner_->send(bytes, handles, std::min(timeout, ipc::Milliseconds(0)));
  }
  Result<ipc::Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                              ipc::Milliseconds /*timeout*/) override {
    if (connecting_ && !raw_.hello_seen) {
      raw_.accept_hello();
      raw_.send_batch();
    }
    auto got = inner_->receive(max_bytes, max_handles, 0ms);
    if (!got && got.error().code() == ErrorCode::Timeout && connecting_) {
      return fail(ErrorCode::Protocol, "fuzz: the sender has nothing more to say");
    }
    return got;
  }
  const ipc::PeerCredentials& peer() const noexcept override { return inner_->peer(); }
  NativeHandle native_handle() const noexcept override { return inner_->native_handle(); }

 private:
  std::unique_ptr<ipc::Connection> inner_;
  RawSender& raw_;
  bool& connecting_;
};

class HookedTransport final : public ipc::Transport {
 public:
  HookedTransport(RawSender& raw, bool& connecting) : raw_(raw), connecting_(connecting) {}
  Result<std::unique_ptr<ipc::TransportListener>> listen(std::string_view name) override {
    return loopback_->listen(name);
  }
  Result<std::unique_ptr<ipc::Connection>> connect(std::string_view name,
                                                   ipc::Milliseconds timeout) override {
    GEYSER_TRY(auto inner, loopback_->connect(name, timeout));
    return std::unique_ptr<ipc::Connection>(
        new HookedConnection(std::move(inner), raw_, connecting_));
  }
  Result<std::vector<std::string>> list() override { return loopback_->list(); }
  std::string describe() const override { return "fuzz loopback"; }

 private:
  std::shared_ptr<ipc::LoopbackTransport> loopback_ = std::make_shared<ipc::LoopbackTransport>();
  RawSender& raw_;
  bool& connecting_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto receiver_control = std::make_shared<channel::test::FakeReceiverControl>();
  {
    RawSender raw;
    raw.records = fuzz::split_records(data, size);
    bool connecting = true;
    auto transport = std::make_shared<HookedTransport>(raw, connecting);
    auto listener = transport->listen(kChannel);
    if (!listener) std::abort();
    raw.listener = std::move(listener).value();

    channel::ReceiverOptions options;
    options.transport = transport;
    options.gpu_timeout = 1ms;
    auto receiver = channel::ReceiverCore::connect(
        std::make_unique<channel::test::FakeReceiverBackend>(receiver_control), kChannel, 50ms,
        options);
    connecting = false;
    if (receiver) {
      for (std::size_t round = 0; round <= fuzz::kMaxRecords; ++round) {
        const std::uint8_t flags = raw.next > 0 ? raw.records[raw.next - 1].flags : 0;
        auto frame = receiver->acquire(0ms);
        if (frame && (flags & 2) != 0) (void)receiver->release();
        if (!frame && frame.error().code() == ErrorCode::Disconnected) break;
        if (raw.done()) {
          (void)receiver->acquire(0ms);
          break;
        }
        raw.send_batch();
      }
    }
  }
  // Every import was destroyed with the receiver; the fake backend saw no contract breach.
  if (receiver_control->live_imports.load() != 0) {
    std::fprintf(stderr, "receiver left %d imports alive\n", receiver_control->live_imports.load());
    std::abort();
  }
  if (receiver_control->violations.load() != 0) {
    std::fprintf(stderr, "backend contract violated: %s\n",
                 receiver_control->last_violation.c_str());
    std::abort();
  }
  return 0;
}
