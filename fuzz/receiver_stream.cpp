// Fuzz target: a ReceiverCore (with the channel-core tests' fake receiver backend) over an
// ipc::LoopbackTransport, talking to a raw listener that plays the sender. The raw sender
// owns a real frame board (ipc::BoardWriter) and receiver page (ipc::ReceiverPage). It reads
// the receiver's Hello, then plays the fuzzer's records (common.hpp) in order:
//
// - A message record goes out on the socket with the handle count its header declares
//   attached (up to kMaxHandlesPerMessage): the board's and the page's shares first, as a
//   StreamDescription carries them, then a real ring of a FakeSenderBackend (memory, ready,
//   released per slot), so that a StreamDescription can be imported.
// - Flag bit 2 (0x04) makes the record a frame-board record instead: generation u64, frame
//   u64, timeline value u64, timestamp u64, slot u32, layout u32, metadata size u32, then
//   metadata bytes (at most 256; short records read as zero-filled), published on the board.
//   Bit 3 (0x08) first sets the slot's board word to the frame, as a real sender does (clear:
//   the word is left alone); bit 4 (0x10) first signals the ready timeline of that slot of
//   the ring to the record's timeline value, as a real sender's present does.
//
// Records up to the first one with flag bit 0 (0x01) set go out while the receiver connects;
// after that, each batch (up to the next such record) is followed by an acquire(0), and flag
// bit 1 (0x02) of the batch's last record releases the frame held. The receiver must never
// crash, hang or leak, and must report every failure as an error: a frame it hands out is
// one the board announced, and (while connected) one it claimed on its page.
#include <unistd.h>

#include <algorithm>
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
#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/message_io.hpp"

using namespace geyser;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannel = "fuzz";

constexpr std::uint8_t kEndsBatch = 0x01;
constexpr std::uint8_t kReleases = 0x02;
constexpr std::uint8_t kBoardRecord = 0x04;
constexpr std::uint8_t kSetsSlotWord = 0x08;
constexpr std::uint8_t kSignalsReady = 0x10;

// A frame-board record from a fuzzer record's bytes (layout at the top of this file).
ipc::FrameRecord parse_frame_record(std::span<const std::uint8_t> bytes) {
  fuzz::FieldReader in(bytes);
  ipc::FrameRecord record;
  record.generation = in.u64();
  record.frame = in.u64();
  record.timeline_value = in.u64();
  record.timestamp_ns = in.u64();
  record.slot = in.u32();
  record.layout = in.u32();
  record.metadata_size = in.u32();
  const auto metadata = in.rest().first(std::min(in.rest().size(), ipc::kMaxFrameMetadata));
  std::copy(metadata.begin(), metadata.end(), record.metadata.begin());
  return record;
}

bool same_frame(const ipc::FrameRecord& record, const channel::FrameLease& lease) {
  const auto metadata = record.metadata_bytes();
  return record.generation == lease.generation && record.frame == lease.frame &&
         record.slot == lease.slot && record.timestamp_ns == lease.timestamp_ns &&
         std::equal(metadata.begin(), metadata.end(), lease.metadata.begin(), lease.metadata.end());
}

// The raw sender: the listener, the accepted connection, its board and the receiver's page,
// and the handles it attaches.
struct RawSender {
  std::unique_ptr<ipc::TransportListener> listener;
  std::unique_ptr<ipc::Connection> connection;
  std::shared_ptr<channel::test::FakeSenderControl> control =
      std::make_shared<channel::test::FakeSenderControl>();
  std::optional<channel::test::FakeSenderBackend> backend;
  std::optional<ipc::BoardWriter> board;
  std::optional<ipc::ReceiverPage> page;
  std::vector<std::unique_ptr<channel::ProducerLink>> links;
  std::vector<UniqueHandle> owned;                // the board's and page's shares, ready, released
  std::vector<std::optional<CpuTimeline>> ready;  // per slot: what a present signals
  std::vector<NativeHandle> attached;  // board, page, then memory, ready, released per slot
  std::vector<ipc::FrameRecord> published;
  std::vector<fuzz::Record> records;
  std::size_t next = 0;
  bool hello_seen = false;

  // The board, the page and a ring of kMaxSlots 8x4 RGBA8 slots, made on first need: an
  // input that never declares a handle or writes the board costs none of it.
  void make_shared_state() {
    if (board) return;
    auto made_board = ipc::BoardWriter::create();
    auto made_page = ipc::ReceiverPage::create();
    if (!made_board || !made_page) std::abort();
    board.emplace(std::move(made_board).value());
    page.emplace(std::move(made_page).value());
    attach(board->share());
    attach(page->share());
    backend.emplace(control);
    TextureDescriptor desc;
    desc.width = 8;
    desc.height = 4;
    if (!backend->create_slots(desc, ipc::kMaxSlots)) std::abort();
  }

  void attach(Result<UniqueHandle> handle) {
    if (!handle) std::abort();
    attached.push_back(handle->get());
    owned.push_back(std::move(handle).value());
  }

  // Links (two timelines each) for the ring's slots up to `slots`: made as handles are
  // declared, since mapping and unmapping all 16 for every input would halve the speed.
  void link_slots(std::size_t slots) {
    make_shared_state();
    while (links.size() < std::min(slots, ipc::kMaxSlots)) {
      const std::size_t slot = links.size();
      auto link = backend->create_link(slot, SyncMode::Cpu);
      if (!link) std::abort();
      auto handles = (*link)->export_handles();
      if (!handles) std::abort();
      attached.push_back(backend->slot_export(slot).os_handle.get());
      attached.push_back(handles->ready.get());
      attached.push_back(handles->released.get());
      owned.push_back(std::move(handles->ready));
      owned.push_back(std::move(handles->released));
      links.push_back(std::move(link).value());
    }
  }

  // Signals slot `slot`'s ready timeline (made on first use) to `value`.
  void signal_ready(std::uint32_t slot, std::uint64_t value) {
    const std::size_t index = slot % ipc::kMaxSlots;
    link_slots(index + 1);
    ready.resize(ipc::kMaxSlots);
    if (!ready[index]) {
      auto timeline = CpuTimeline::open(owned[2 + 2 * index].duplicate().value());
      if (!timeline) std::abort();
      ready[index].emplace(std::move(timeline).value());
    }
    ready[index]->signal(value);
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

  void send_message(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    const std::size_t count = std::min(fuzz::declared_handles(bytes), ipc::kMaxHandlesPerMessage);
    if (count > ipc::kHandlesPerStream) {
      link_slots((count - ipc::kHandlesPerStream + ipc::kHandlesPerSlot - 1) /
                 ipc::kHandlesPerSlot);
    } else if (count > 0) {
      make_shared_state();
    }
    (void)connection->send(bytes, std::span<const NativeHandle>(attached.data(), count), 0ms);
  }

  // Publishes a record the way the flags say (a real sender: ready, slot word, record).
  void publish(std::uint8_t flags, std::span<const std::uint8_t> bytes) {
    make_shared_state();
    const ipc::FrameRecord record = parse_frame_record(bytes);
    if ((flags & kSignalsReady) != 0) signal_ready(record.slot, record.timeline_value);
    if ((flags & kSetsSlotWord) != 0) board->set_slot_frame(record.slot, record.frame);
    board->publish(record);
    published.push_back(record);
  }

  // Sends the records up to and including the next one with flag bit 0 set.
  void send_batch() {
    if (!connection) return;
    while (next < records.size()) {
      const fuzz::Record& record = records[next++];
      if ((record.flags & kBoardRecord) != 0) {
        publish(record.flags, record.bytes);
      } else {
        send_message(record.bytes);
      }
      if ((record.flags & kEndsBatch) != 0) break;
    }
  }
  [[nodiscard]] bool done() const { return !connection || next >= records.size(); }

  // A frame the receiver handed out must be one the board announced and, while the receiver
  // is connected, one it claimed on its page (or the raw sender could be rewriting it).
  void check(const channel::FrameLease& lease, bool connected) const {
    const bool announced = std::any_of(published.begin(), published.end(),
                                       [&](const auto& r) { return same_frame(r, lease); });
    if (!announced) {
      std::fprintf(stderr, "receiver made up frame %llu of slot %u\n",
                   static_cast<unsigned long long>(lease.frame), lease.slot);
      std::abort();
    }
    if (connected && page->claimed(lease.slot) != lease.frame) {
      std::fprintf(stderr, "receiver reads frame %llu of slot %u without claiming it\n",
                   static_cast<unsigned long long>(lease.frame), lease.slot);
      std::abort();
    }
  }
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
    // The hooked connection never waits, so a handshake needs no time; a sender that leaves
    // during it makes connect retry until this passes (a cost paid by every such input).
    auto receiver = channel::ReceiverCore::connect(
        std::make_unique<channel::test::FakeReceiverBackend>(receiver_control), kChannel, 5ms,
        options);
    connecting = false;
    if (receiver) {
      for (std::size_t round = 0; round <= fuzz::kMaxRecords; ++round) {
        const std::uint8_t flags = raw.next > 0 ? raw.records[raw.next - 1].flags : 0;
        auto frame = receiver->acquire(0ms);
        if (frame) raw.check(*frame, receiver->state() == channel::ReceiverState::Connected);
        if (frame && (flags & kReleases) != 0) (void)receiver->release();
        if (!frame && frame.error().code() == ErrorCode::Disconnected) break;
        if (raw.done()) {
          auto last = receiver->acquire(0ms);
          if (last) raw.check(*last, receiver->state() == channel::ReceiverState::Connected);
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
