// SenderCore: a backend's ring of slots behind a published transport name.
#include "geyser/channel/sender_core.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "clock.hpp"
#include "geyser/ipc/event_set.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "host_ring.hpp"

namespace geyser::channel {
namespace {

using detail::Clock;
using detail::remaining;
using std::chrono::milliseconds;

// One connection: a receiver, a lister, or not yet known.
struct Peer {
  enum class Role { Unknown, Receiver };
  std::unique_ptr<ipc::Connection> connection;
  Role role = Role::Unknown;
  Clock::time_point accepted_at = Clock::now();  // Unknown past options.hello_timeout: dropped
  SyncMode mode = SyncMode::Cpu;
  Transfer transfer = Transfer::Device;              // host: links are detail::HostLinks
  std::uint64_t generation_sent = 0;                 // the generation whose description it has
  std::vector<std::unique_ptr<ProducerLink>> links;  // per slot
  std::optional<ipc::ReceiverPage> page;  // where it claims and releases frames (untrusted)
  // Per slot, the highest value seen on its gpu release timeline (timelines only rise), so
  // that a release once seen is not polled from the device again.
  mutable std::array<std::uint64_t, ipc::kMaxSlots> released_seen{};
  // The frame whose device signal the application carries in its own submission
  // (SenderCore::hand_over_signals): present() leaves this receiver's link out of the
  // backend's announcement. New links (send_stream_description) reset it.
  std::uint64_t signalled_by_app = 0;

  const ipc::PeerCredentials& credentials() const { return connection->peer(); }
};

struct SlotState {
  std::uint64_t last_frame = 0;
  bool in_app = false;  // acquired by the application, not yet presented
};

}  // namespace

struct SenderCore::State {
  std::unique_ptr<SenderBackend> backend;  // first: destroyed last
  ipc::EventSet events;
  std::string name;
  SenderOptions options;
  TextureDescriptor desc;
  SyncCapabilities caps;
  std::shared_ptr<ipc::Transport> transport;
  std::unique_ptr<ipc::TransportListener> listener;
  std::optional<ipc::BoardWriter> board;  // frames announced once for every receiver
  ColorDescription color;
  std::uint64_t generation = 0;
  std::uint64_t next_frame = 1;
  std::uint64_t wakes_skipped = 0;  // publishes that found no receiver asleep
  std::uint64_t presented = 0;      // below next_frame - 1 by the presents that failed
  std::uint64_t handed_over = 0;    // the last frame whose signals hand_over_signals gave out
  std::uint64_t dropped = 0;
  bool fan_out_failed = false;  // a receiver reported a late wake: no fan-out from now on
  std::deque<Clock::time_point> recent_presents;
  Clock::time_point last_refusal_log{};
  std::vector<SlotState> slots;
  std::vector<std::unique_ptr<Peer>> peers;
  // Host slots, one per ring slot, while any receiver takes host frames
  // (docs/host-frames.md). Declared after peers: their links are signalled into it.
  std::optional<detail::HostRing> host;

  State(std::unique_ptr<SenderBackend> b, ipc::EventSet e)
      : backend(std::move(b)), events(std::move(e)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    // Unpublish first, so that no receiver reconnects to a sender that is going away.
    if (listener) events.remove(listener->native_handle());
    listener.reset();
    for (auto& p : peers) {
      (void)ipc::send(*p->connection, ipc::Message(ipc::Goodbye{}), milliseconds(0));
    }
    if (board) board->wake();  // receivers blocked on the board look at their socket
    // The device may still use the links' semaphores: the backend destroys them once it is
    // idle, before its slots.
    for (auto& p : peers) backend->retire(std::move(p->links));
    peers.clear();
    if (host) (void)backend->set_host_slots({});
    backend.reset();
  }

  void log(const std::string& message) const {
    std::fprintf(stderr, "geyser: sender '%s': %s\n", name.c_str(), message.c_str());
  }

  void drop(std::size_t index, const Error& why, bool tell_peer) {
    Peer& p = *peers[index];
    log("closing the connection of pid " + std::to_string(p.credentials().pid) + ": " +
        why.to_string());
    if (tell_peer) {
      (void)ipc::send(*p.connection, ipc::Message(ipc::ErrorMessage{why.code(), why.message()}),
                      milliseconds(0));
    }
    // Closing a Unix socket with unread packets makes Linux reset the connection, and the
    // peer would read ECONNRESET instead of our Error: discard what is queued (bounded).
    for (int i = 0; i < 64; ++i) {
      if (!p.connection->receive(ipc::kMaxMessageSize, ipc::kMaxHandlesPerMessage,
                                 milliseconds(0))) {
        break;
      }
    }
    ++dropped;
    retire(index);
    // The mail word tells a receiver busy with frames to read its socket: our Error, or
    // the close (BoardWriter::wake).
    board->wake();
  }

  // Closes a connection now (the peer sees EOF at once); its links go to the backend,
  // which destroys them once the device no longer uses them.
  void retire(std::size_t index) {
    std::unique_ptr<Peer> p = std::move(peers[index]);
    peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(index));
    events.remove(p->connection->native_handle());
    p->connection.reset();
    if (p->transfer == Transfer::Host) {
      p->links.clear();  // CPU timelines: no device uses them
      if (host_receiver_count() == 0) drop_host_ring();
    } else if (!p->links.empty()) {
      backend->retire(std::move(p->links));
    }
  }

  // Host slots for `count` slots of `d`, handed to the backend, which lets go of the old
  // ones first. On failure no host ring is left.
  Result<void> make_host_ring(const TextureDescriptor& d, std::size_t count) {
    drop_host_ring();
    GEYSER_TRY(detail::HostRing ring, detail::HostRing::create(d, count));
    const std::vector<HostSlotMemory> memory = ring.memory();
    GEYSER_TRY_VOID(backend->set_host_slots(memory));
    host.emplace(std::move(ring));
    return {};
  }

  // Frees the host slots once the backend no longer writes them (the last host receiver
  // left, or they are remade for a new ring).
  void drop_host_ring() {
    if (!host) return;
    if (auto released = backend->set_host_slots({}); !released) {
      log("the backend could not let go of its host slots: " + released.error().to_string());
    }
    host.reset();
  }

  // Copies the frame in `lease`'s slot to its host slot and tells `links` (every host
  // receiver reading it). When the copy fails they would wait for it in vain: they are
  // closed with the error (they reconnect), and the frame stays presented to the others.
  void copy_to_host_receivers(const SlotLease& lease, std::span<detail::HostLink* const> links) {
    if (auto copied = backend->copy_to_host(lease.slot, options.gpu_timeout); !copied) {
      const Error why(copied.error().code(),
                      "frame " + std::to_string(lease.frame) +
                          " could not be copied to host memory: " + copied.error().message());
      for (std::size_t i = peers.size(); i-- > 0;) {
        if (peers[i]->transfer == Transfer::Host) drop(i, why, true);
      }
      return;
    }
    for (detail::HostLink* link : links) link->signal_ready(lease.frame);
  }

  std::uint32_t host_receiver_count() const {
    return static_cast<std::uint32_t>(std::count_if(peers.begin(), peers.end(), [](const auto& p) {
      return p->role == Peer::Role::Receiver && p->transfer == Transfer::Host;
    }));
  }

  // Slots needed so that receivers that stop reading stall nobody: each holds at most two
  // frames (the one it reads and the one it moves to in acquire), plus one to write into.
  std::size_t slots_needed() const {
    return std::clamp<std::size_t>(2 * receiver_count() + 1, options.slots, ipc::kMaxSlots);
  }

  Result<void> make_slots(const TextureDescriptor& d, std::size_t count) {
    GEYSER_TRY_VOID(backend->create_slots(d, count));
    if (host) {
      // Host receivers follow the new ring; when its frames cannot be carried to the host,
      // they are told so when their description cannot be sent.
      if (auto remade = make_host_ring(d, count); !remade) {
        log("no host slots for the new ring: " + remade.error().to_string());
      }
    }
    slots.assign(count, SlotState{});
    desc = d;
    ++generation;
    // A new ring holds no frame yet: no claim of an older generation binds it.
    for (std::uint32_t i = 0; i < ipc::kBoardSlots; ++i) board->set_slot_frame(i, 0);
    return {};
  }

  // A new generation with `count` slots of `d`. The new ring is made first: when that
  // fails, the old ring, its links and who holds what stay as they were.
  Result<void> regenerate(const TextureDescriptor& d, std::size_t count) {
    GEYSER_TRY_VOID(make_slots(d, count));
    for (auto& p : peers) {
      if (p->transfer == Transfer::Device) backend->retire(std::move(p->links));
      p->links.clear();
      p->generation_sent = 0;
    }
    for (std::size_t i = 0; i < peers.size();) {
      Peer& p = *peers[i];
      if (p.role == Peer::Role::Receiver) {
        if (auto sent = send_stream_description(p); !sent) {
          close(i, sent.error(), false);
          continue;
        }
      }
      ++i;
    }
    board->wake();  // receivers blocked on the board read the new description
    return {};
  }

  // What the description says about the slots' memory: the device slots, or for a host
  // receiver the host slots.
  Result<void> describe_memory(const Peer& p, ipc::StreamDescription& message) const {
    if (p.transfer == Transfer::Device) {
      const TextureShareHandle& first = backend->slot_export(0);
      message.identity = first.identity;
      message.image = first.image;
      message.handle_type = first.handle_type;
      message.row_pitch = first.row_pitch;  // linear slots; 0 for optimal images
      return {};
    }
    if (!host || host->size() != slots.size()) {
      return fail(ErrorCode::Unsupported,
                  "this sender cannot carry " + geyser::describe(desc) + " frames to host memory");
    }
    message.identity = backend->identity();  // informational for host receivers
    ipc::describe_host_slots(message, host->row_pitch(), host->slot_size());
    return {};
  }

  Result<ipc::SlotHandles> slot_handles(const Peer& p, std::size_t i, const ProducerLink& link) {
    GEYSER_TRY(SlotSyncHandles sync, link.export_handles());
    ipc::SlotHandles handles;
    if (p.transfer == Transfer::Host) {
      GEYSER_TRY(handles.memory, host->share(i));
    } else {
      GEYSER_TRY(handles.memory, backend->slot_export(i).os_handle.duplicate());
    }
    handles.ready = std::move(sync.ready);
    handles.released = std::move(sync.released);
    return handles;
  }

  Result<std::unique_ptr<ProducerLink>> create_link(const Peer& p, std::size_t i) {
    if (p.transfer == Transfer::Device) return backend->create_link(i, p.mode);
    GEYSER_TRY(auto link, detail::HostLink::create());
    return std::unique_ptr<ProducerLink>(std::move(link));
  }

  Result<void> send_stream_description(Peer& p) {
    p.links.clear();
    p.released_seen.fill(0);  // new links, new timelines
    p.signalled_by_app = 0;   // the application's signals, if any, were for the old links
    if (!p.page) {
      GEYSER_TRY(p.page, ipc::ReceiverPage::create());
    }
    ipc::StreamDescription message;
    message.generation = generation;
    message.descriptor = desc;
    GEYSER_TRY_VOID(describe_memory(p, message));
    message.sync_mode = p.mode;
    message.color = color;
    message.first_frame = next_frame;  // its links exist from now on
    GEYSER_TRY(message.board, board->share());
    GEYSER_TRY(message.page, p.page->share());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      GEYSER_TRY(auto link, create_link(p, i));
      GEYSER_TRY(ipc::SlotHandles handles, slot_handles(p, i, *link));
      message.slots.push_back(std::move(handles));
      p.links.push_back(std::move(link));
    }
    GEYSER_TRY_VOID(
        ipc::send(*p.connection, ipc::Message(std::move(message)), options.send_timeout));
    p.generation_sent = generation;
    return {};
  }

  Result<void> handle_first(Peer& p, ipc::Message& message) {
    if (std::holds_alternative<ipc::DescribeRequest>(message)) {
      GEYSER_TRY_VOID(ipc::send(*p.connection, ipc::Message(describe()), options.send_timeout));
      return fail(ErrorCode::Disconnected, "lister answered");
    }
    if (auto* hello = std::get_if<ipc::Hello>(&message)) {
      if (receiver_count() >= options.max_receivers) {
        // Each receiver costs links per slot and may grow the ring: bounded.
        return fail(ErrorCode::Unsupported, "channel '" + name + "' already serves " +
                                                std::to_string(receiver_count()) +
                                                " receivers (SenderOptions::max_receivers)");
      }
      GEYSER_TRY(p.transfer, negotiate_transfer(*hello));
      if (p.transfer == Transfer::Host) {
        if (!host) GEYSER_TRY_VOID(make_host_ring(desc, slots.size()));
        p.mode = SyncMode::Cpu;  // the frame is on the host: nothing for a device to wait on
      } else {
        GEYSER_TRY(p.mode, choose_sync_mode(caps, hello->sync));
      }
      p.role = Peer::Role::Receiver;
      return send_stream_description(p);
    }
    return fail(ErrorCode::Protocol, std::string("expected Hello or DescribeRequest first, got ") +
                                         std::string(ipc::to_string(ipc::message_type(message))));
  }

  // Zero-copy when the receiver is on this sender's device, host frames when it asks for
  // them or (TransferRequest::Auto) is on another device or none.
  Result<Transfer> negotiate_transfer(const ipc::Hello& hello) const {
    if (!backend->shares_device_slots()) return host_only_transfer(hello);
    const DeviceIdentity& ours = backend->identity();
    const bool same_device = hello.identity.compatible_with(ours);
    if (auto transfer = choose_transfer(hello.transfer, same_device)) return *transfer;
    return fail(ErrorCode::DeviceMismatch,
                "the receiver imports on driver " + to_string(hello.identity.driver_uuid) +
                    " device " + to_string(hello.identity.device_uuid) +
                    ", this sender's textures live on " + backend->device_name() + " (device " +
                    to_string(ours.device_uuid) + ") and it did not ask for host frames");
  }

  // A backend with no device slots (SenderBackend::shares_device_slots) has only host
  // frames to give: a receiver that takes only zero-copy is refused, naming why.
  Result<Transfer> host_only_transfer(const ipc::Hello& hello) const {
    if (hello.transfer != TransferRequest::Device) return Transfer::Host;
    return fail(ErrorCode::DeviceMismatch,
                "channel '" + name + "' is written to " + backend->device_name() +
                    " by its sender, which shares no device slots (host frames only); the "
                    "receiver (driver " +
                    to_string(hello.identity.driver_uuid) + " device " +
                    to_string(hello.identity.device_uuid) +
                    ") asked for zero-copy only: connect with a receiver that takes host "
                    "frames (host or Vulkan, transfer auto or host)");
  }

  // Handles one message of a peer. An error closes that connection only.
  Result<void> handle(Peer& p, ipc::Message message) {
    if (p.role == Peer::Role::Unknown) return handle_first(p, message);
    if (std::holds_alternative<ipc::Goodbye>(message)) {
      return fail(ErrorCode::Disconnected, "the receiver said goodbye");
    }
    if (auto* error = std::get_if<ipc::ErrorMessage>(&message)) {
      return fail(error->code, "the receiver reported: " + error->text);
    }
    return fail(ErrorCode::Protocol, std::string("unexpected ") +
                                         std::string(ipc::to_string(ipc::message_type(message))) +
                                         " from a receiver");
  }

  SyncMode offered_mode() const {
    return (caps.timeline_export && caps.timeline_import) ? SyncMode::Gpu : SyncMode::Cpu;
  }

  ipc::Description describe() const {
    ipc::Description d;
    d.width = desc.width;
    d.height = desc.height;
    d.format = desc.format;
    d.sync_mode = offered_mode();
    d.fps_milli = static_cast<std::uint32_t>(fps() * 1000.0);
    d.frame_count = presented;
    d.receiver_count = receiver_count();
    d.host_receiver_count = host_receiver_count();
    d.sender_pid = static_cast<std::uint32_t>(getpid());
    d.protocol_version = ipc::kProtocolVersion;
    d.color = color;
    return d;
  }

  std::uint32_t receiver_count() const {
    return static_cast<std::uint32_t>(std::count_if(
        peers.begin(), peers.end(), [](const auto& p) { return p->role == Peer::Role::Receiver; }));
  }

  double fps() const {
    if (recent_presents.size() < 2) return 0.0;
    const double seconds =
        std::chrono::duration<double>(recent_presents.back() - recent_presents.front()).count();
    return seconds > 0 ? static_cast<double>(recent_presents.size() - 1) / seconds : 0.0;
  }

  std::size_t pending_count() const {
    return static_cast<std::size_t>(std::count_if(
        peers.begin(), peers.end(), [](const auto& p) { return p->role == Peer::Role::Unknown; }));
  }

  // Accepts waiting connections, a bounded number per pump so that a peer connecting in a
  // loop cannot keep us here; true when there was one.
  bool accept_all() {
    bool any = false;
    for (std::size_t n = 0; n < kMaxMessagesPerPeerPerPoll; ++n) {
      auto accepted = listener->accept(milliseconds(0));
      if (!accepted) return any;
      any = true;
      auto connection = std::move(accepted).value();
      auto checked = ipc::check_peer(connection->peer(), options.peers);
      if (!checked) {
        // A refused client may retry in a loop: log at most once a second.
        if (Clock::now() - last_refusal_log > std::chrono::seconds(1)) {
          log("refused a connection: " + checked.error().to_string());
          last_refusal_log = Clock::now();
        }
        ++dropped;
        continue;
      }
      if (pending_count() >= options.max_pending_connections) {
        // Peers that connect and say nothing must not pile up: closed at once (a receiver
        // sees Disconnected and retries), until hello_timeout frees places.
        if (Clock::now() - last_refusal_log > std::chrono::seconds(1)) {
          log("refused a connection of pid " + std::to_string(connection->peer().pid) + ": " +
              std::to_string(pending_count()) +
              " connections have not said Hello yet (SenderOptions::max_pending_connections)");
          last_refusal_log = Clock::now();
        }
        ++dropped;
        continue;
      }
      if (auto added = events.add(connection->native_handle()); !added) {
        log("refused a connection: " + added.error().to_string());
        ++dropped;
        continue;
      }
      auto p = std::make_unique<Peer>();
      p->connection = std::move(connection);
      p->accepted_at = Clock::now();
      peers.push_back(std::move(p));
    }
    return any;  // the rest wait for the next poll
  }

  // Closes connection `index` because of `why`: a peer that left (Disconnected) is
  // retired quietly, any other failure drops it (logged, counted, told when `tell_peer`).
  void close(std::size_t index, const Error& why, bool tell_peer) {
    if (why.code() == ErrorCode::Disconnected) {
      retire(index);
    } else {
      drop(index, why, tell_peer);
    }
  }

  // Reads the messages peer `index` has sent, at most kMaxMessagesPerPeerPerPoll, so that
  // one that keeps sending cannot starve the others (the rest stays readable for the next
  // pump); false when the connection was closed.
  bool read_peer(std::size_t index, bool& active) {
    Peer& p = *peers[index];
    for (std::size_t n = 0;; ++n) {
      if (n == kMaxMessagesPerPeerPerPoll) {
        active = true;
        return true;
      }
      auto message = ipc::receive(*p.connection, milliseconds(0));
      if (!message && message.error().code() == ErrorCode::Timeout) return true;
      active = true;
      if (!message) {
        close(index, message.error(), true);
        return false;
      }
      if (auto handled = handle(p, std::move(message).value()); !handled) {
        close(index, handled.error(), true);
        return false;
      }
    }
  }

  // Accepts waiting connections and reads every message that has arrived. Never blocks.
  // True when there was anything to do.
  bool pump() {
    backend->collect();
    // One epoll_wait says whether the listener or any connection has something; only then
    // is each of them read (frames and releases go through shared memory, not sockets).
    bool active = false;
    if (events.wait(milliseconds(0))) {
      active = accept_all();
      for (std::size_t i = 0; i < peers.size();) {
        if (read_peer(i, active)) ++i;
      }
    }
    // Links of connections closed just now are usually done with on the device already:
    // free them now rather than at the next call, so a dead receiver's handles go at once.
    if (active) backend->collect();
    // After reading: a Hello that arrived in time counts. The others hold a place among
    // max_pending_connections for at most hello_timeout.
    const auto now = Clock::now();
    for (std::size_t i = 0; i < peers.size();) {
      if (peers[i]->role == Peer::Role::Unknown &&
          now - peers[i]->accepted_at > options.hello_timeout) {
        active = true;
        drop(i,
             Error(ErrorCode::Timeout, "no Hello or DescribeRequest within " +
                                           std::to_string(options.hello_timeout.count()) +
                                           " ms (SenderOptions::hello_timeout)"),
             true);
        continue;
      }
      ++i;
    }
    return active;
  }

  // Fan-out while two receivers or more wait on the board, until one of them reports a
  // late wake: then every wake is the sender's again (docs/protocol.md, "Fan-out"). A
  // receiver that lies about it only costs the sender the wakes it makes without fan-out.
  void choose_wake() {
    std::size_t waiting = 0;
    for (const auto& p : peers) {
      if (p->role != Peer::Role::Receiver || !p->page) continue;
      ++waiting;
      if (!fan_out_failed && p->page->late_wakes() != 0) {
        fan_out_failed = true;
        log("pid " + std::to_string(p->credentials().pid) +
            " was woken late through the fan-out of wakes; the sender wakes every receiver "
            "itself from now on");
      }
    }
    board->set_fan_out(waiting >= 2 && !fan_out_failed);
  }

  // Read after the announcement, never before (the order the sleepers rule needs). Any peer
  // with a page has the board: every one of them counts, whatever its generation.
  bool anyone_may_sleep() const {
    for (const auto& p : peers) {
      if (p->page && p->page->may_sleep()) return true;
    }
    return false;
  }

  bool reads_this_generation(const Peer& p) const {
    return p.role == Peer::Role::Receiver && p.generation_sent == generation && p.page;
  }

  // Whether receiver `p` holds frame `content` of slot `index`: it claimed exactly that
  // frame on its page and has not released it, or (gpu) its release has not executed on
  // the device yet. A claim of another frame binds nothing: the page is the receiver's to
  // write, so only what agrees with the board counts.
  bool holds(const Peer& p, std::size_t index, std::uint64_t content) const {
    const auto slot = static_cast<std::uint32_t>(index);
    if (content == 0 || p.page->claimed(slot) != content) return false;
    const std::uint64_t word = p.page->released_word(slot);
    if ((word & ~ipc::kReleasedUnread) < content) return true;  // claimed, not released
    // Released without reading it on the device: nothing to wait for (a receiver that says
    // so falsely can only tear its own reads).
    if ((word & ipc::kReleasedUnread) != 0) return false;
    if (p.mode == SyncMode::Gpu && p.released_seen[index] < content) {
      // A poll, never a wait: a receiver that died with a release pending must not stall us
      // (its connection closes, freeing the slot).
      auto value = p.links[index]->released_value();
      if (!value || *value < content) return true;
      p.released_seen[index] = *value;
    }
    return false;
  }

  // Whether `p` has claimed frame `content` of slot `index` on its page and not released it.
  bool claims(const Peer& p, std::size_t index, std::uint64_t content) const {
    const auto slot = static_cast<std::uint32_t>(index);
    return content != 0 && p.page->claimed(slot) == content && p.page->released(slot) < content;
  }

  bool slot_free(std::size_t index) const {
    if (slots[index].in_app) return false;
    const std::uint64_t content = board->slot_frame(static_cast<std::uint32_t>(index));
    for (const auto& p : peers) {
      if (reads_this_generation(*p) && holds(*p, index, content)) return false;
    }
    return true;
  }

  // Takes slot `index` away from readers before it is rewritten: the board says it holds
  // nothing, then no claim may have come in meanwhile (a receiver claims, then checks the
  // board; we clear the board, then check the claims: one of us sees the other). False,
  // with the board restored, when a receiver claimed it just now.
  bool take_for_writing(std::size_t index) {
    const auto slot = static_cast<std::uint32_t>(index);
    const std::uint64_t content = board->slot_frame(slot);
    board->set_slot_frame(slot, 0);
    for (const auto& p : peers) {
      if (reads_this_generation(*p) && holds(*p, index, content)) {
        board->set_slot_frame(slot, content);
        return false;
      }
    }
    return true;
  }

  // Receivers that claim more than two frames at once break the rule the ring is sized by
  // (and could stall the sender): dropped. True when one was.
  bool drop_greedy_receivers() {
    bool any = false;
    for (std::size_t i = 0; i < peers.size();) {
      const Peer& p = *peers[i];
      std::size_t held = 0;
      if (reads_this_generation(p)) {
        for (std::size_t slot = 0; slot < slots.size(); ++slot) {
          if (claims(p, slot, board->slot_frame(static_cast<std::uint32_t>(slot)))) ++held;
        }
      }
      if (held > 2) {
        drop(i,
             Error(ErrorCode::Protocol, "the receiver claims " + std::to_string(held) +
                                            " frames at once; at most 2 are allowed"),
             true);
        any = true;
        continue;
      }
      ++i;
    }
    return any;
  }

  // The free slot written longest ago. Slots are looked at oldest first and the first free
  // one wins: usually the oldest is, and each look reads every receiver's page.
  Result<std::optional<std::size_t>> pick_slot() const {
    std::array<std::size_t, ipc::kMaxSlots> order{};
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].in_app) {
        return fail(ErrorCode::Validation,
                    "Sender::acquire: slot " + std::to_string(i) +
                        " is already acquired; present it before acquiring another");
      }
      order[i] = i;
    }
    const auto by_age = [&](std::size_t a, std::size_t b) {
      return slots[a].last_frame < slots[b].last_frame;
    };
    std::stable_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(slots.size()),
                     by_age);
    for (std::size_t k = 0; k < slots.size(); ++k) {
      if (slot_free(order[k])) return order[k];
    }
    return std::nullopt;
  }

  Result<void> check_lease(const SlotLease& lease, const char* what) const {
    if (lease.generation != generation || lease.slot >= slots.size() || !slots[lease.slot].in_app ||
        lease.frame != next_frame) {
      return fail(ErrorCode::Validation, std::string(what) + ": frame " +
                                             std::to_string(lease.frame) + " in slot " +
                                             std::to_string(lease.slot) +
                                             " was not acquired from this sender's current ring");
    }
    return {};
  }

  void count_present() {
    ++next_frame;
    ++presented;
    recent_presents.push_back(Clock::now());
    while (recent_presents.size() > 2 &&
           recent_presents.back() - recent_presents.front() > std::chrono::seconds(1)) {
      recent_presents.pop_front();
    }
  }
};

SenderCore::SenderCore(std::unique_ptr<State> state) : state_(std::move(state)) {}
SenderCore::SenderCore(SenderCore&&) noexcept = default;
SenderCore& SenderCore::operator=(SenderCore&&) noexcept = default;
SenderCore::~SenderCore() = default;

Result<SenderCore> SenderCore::publish(std::unique_ptr<SenderBackend> backend, std::string name,
                                       const TextureDescriptor& desc,
                                       const SenderOptions& options) {
  GEYSER_TRY_VOID(ipc::validate_channel_name(name));
  if (options.slots < 2 || options.slots > ipc::kMaxSlots) {
    return fail(ErrorCode::Validation, "Sender::publish: slots " + std::to_string(options.slots) +
                                           " is out of range 2.." + std::to_string(ipc::kMaxSlots));
  }
  if (options.max_pending_connections == 0 || options.max_receivers == 0 ||
      options.hello_timeout.count() <= 0) {
    return fail(ErrorCode::Validation,
                "Sender::publish: max_pending_connections " +
                    std::to_string(options.max_pending_connections) + ", max_receivers " +
                    std::to_string(options.max_receivers) + " and hello_timeout " +
                    std::to_string(options.hello_timeout.count()) + " ms must be above 0");
  }
  GEYSER_TRY_VOID(validate(desc));
  if (!is_known(options.color)) {
    return fail(ErrorCode::Validation, "Sender::publish: unknown colour description values");
  }
  if (!backend) return fail(ErrorCode::Validation, "Sender::publish: no backend");
  GEYSER_TRY(ipc::EventSet events, ipc::EventSet::create());
  auto state = std::make_unique<State>(std::move(backend), std::move(events));
  state->name = name;
  state->options = options;
  state->color = options.color;
  GEYSER_TRY(state->board, ipc::BoardWriter::create());
  state->caps = state->backend->sync_capabilities();
  GEYSER_TRY_VOID(state->make_slots(desc, options.slots));
  state->transport = options.transport;
  if (!state->transport) {
    GEYSER_TRY(state->transport, ipc::default_transport(options.runtime_dir));
  }
  GEYSER_TRY(state->listener, state->transport->listen(name));
  GEYSER_TRY_VOID(state->events.add(state->listener->native_handle()));
  return SenderCore(std::move(state));
}

Result<SlotLease> SenderCore::acquire(milliseconds timeout) {
  State& s = *state_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    s.pump();
    if (s.slots.size() < s.slots_needed()) {
      // More receivers than the ring can serve without one stalling the rest: grow it.
      GEYSER_TRY_VOID(s.regenerate(s.desc, s.slots_needed()));
    }
    GEYSER_TRY(std::optional<std::size_t> best, s.pick_slot());
    if (!best) {
      // Only now can a receiver that claims more than it may hurt anyone: drop such ones,
      // then look again.
      if (s.drop_greedy_receivers()) {
        GEYSER_TRY(best, s.pick_slot());
      }
    }
    if (best && s.take_for_writing(*best)) {
      s.slots[*best].in_app = true;
      return SlotLease{s.next_frame, static_cast<std::uint32_t>(*best), s.generation};
    }
    const auto left = remaining(deadline);
    if (left.count() == 0) {
      return fail(ErrorCode::Timeout,
                  "Sender::acquire: every slot is still held by receivers after " +
                      std::to_string(timeout.count()) + " ms");
    }
    // Releases are words on the receivers' pages, and a gpu release may still be executing:
    // look again soon.
    (void)s.events.wait(std::min(left, milliseconds(1)));
  }
}

Result<std::vector<ProducerLink*>> SenderCore::hand_over_signals(const SlotLease& lease) {
  State& s = *state_;
  GEYSER_TRY_VOID(s.check_lease(lease, "Sender::present_signals"));
  std::vector<ProducerLink*> links;
  for (auto& p : s.peers) {
    if (!s.reads_this_generation(*p) || p->transfer != Transfer::Device) continue;
    if (p->mode != SyncMode::Gpu) continue;  // cpu links are signalled on the CPU by present()
    links.push_back(p->links[lease.slot].get());
    p->signalled_by_app = lease.frame;
  }
  s.handed_over = lease.frame;  // spent: a timeline value cannot be signalled twice
  return links;
}

Result<void> SenderCore::present(const SlotLease& lease, std::span<const std::uint8_t> metadata) {
  State& s = *state_;
  GEYSER_TRY_VOID(s.check_lease(lease, "Sender::present"));
  if (metadata.size() > ipc::kMaxFrameMetadata) {
    return fail(ErrorCode::Validation, "Sender::present: " + std::to_string(metadata.size()) +
                                           " bytes of metadata, at most " +
                                           std::to_string(ipc::kMaxFrameMetadata));
  }
  std::vector<ProducerLink*> links;
  std::vector<detail::HostLink*> host_links;
  for (auto& p : s.peers) {
    if (!s.reads_this_generation(*p)) continue;
    if (p->signalled_by_app == lease.frame) continue;  // in the application's submission
    ProducerLink* link = p->links[lease.slot].get();
    if (p->transfer == Transfer::Host) {
      host_links.push_back(static_cast<detail::HostLink*>(link));
    } else {
      links.push_back(link);
    }
  }
  auto announced = s.backend->present(lease.slot, lease.frame, links, s.options.gpu_timeout);
  if (!announced) {
    // Nothing was announced: the slot goes back to the ring, and the next acquire may
    // hand it out again. Not the frame number: the backend may have signalled it already
    // (a timeline value cannot be signalled twice), and frames need only rise.
    cancel(lease);
    if (s.next_frame == lease.frame) ++s.next_frame;
    return announced;
  }
  // One record for every receiver: the board's seqlock and one wake, whatever their number.
  ipc::FrameRecord record;
  record.generation = s.generation;
  record.frame = lease.frame;
  record.timeline_value = lease.frame;
  record.timestamp_ns = detail::monotonic_ns();
  record.slot = lease.slot;
  record.layout = kSharedImageLayout;
  record.metadata_size = static_cast<std::uint32_t>(metadata.size());
  std::copy(metadata.begin(), metadata.end(), record.metadata.begin());
  s.board->set_slot_frame(lease.slot, lease.frame);
  s.choose_wake();
  s.board->announce(record);
  // Then the wake, unless no receiver may be asleep: those that are not look at the board
  // before they sleep (docs/protocol.md, "Sleepers").
  if (s.anyone_may_sleep()) {
    s.board->wake_published();
  } else {
    ++s.wakes_skipped;
  }
  SlotState& slot = s.slots[lease.slot];
  slot.in_app = false;
  slot.last_frame = lease.frame;
  s.count_present();
  // Zero-copy receivers have the frame now; host receivers, which wait on their slot's
  // ready timeline after reading the record, get it after one device copy for all of them.
  if (!host_links.empty()) s.copy_to_host_receivers(lease, host_links);
  return {};
}

void SenderCore::cancel(const SlotLease& lease) noexcept {
  State& s = *state_;
  if (lease.generation == s.generation && lease.slot < s.slots.size()) {
    s.slots[lease.slot].in_app = false;
  }
  // Its signals may have been submitted by the application: the number is not used again.
  if (lease.frame == s.handed_over && lease.frame == s.next_frame) ++s.next_frame;
}

Result<std::uint64_t> SenderCore::write(std::span<const std::uint8_t> bytes, milliseconds timeout,
                                        std::span<const std::uint8_t> metadata) {
  if (metadata.size() > ipc::kMaxFrameMetadata) {
    return fail(ErrorCode::Validation, "Sender::write: " + std::to_string(metadata.size()) +
                                           " bytes of metadata, at most " +
                                           std::to_string(ipc::kMaxFrameMetadata));
  }
  GEYSER_TRY(const SlotLease lease, acquire(timeout));
  if (auto written = state_->backend->write(lease.slot, bytes); !written) {
    cancel(lease);
    return tl::unexpected(std::move(written).error());
  }
  GEYSER_TRY_VOID(present(lease, metadata));
  return lease.frame;
}

Result<void> SenderCore::resize(const TextureDescriptor& desc) {
  return resize(desc, state_->color);
}

Result<void> SenderCore::resize(const TextureDescriptor& desc, const ColorDescription& color) {
  State& s = *state_;
  if (!is_known(color)) {
    return fail(ErrorCode::Validation, "Sender::resize: unknown colour description values");
  }
  GEYSER_TRY_VOID(validate(desc));
  for (const SlotState& slot : s.slots) {
    if (slot.in_app) {
      return fail(ErrorCode::Validation, "Sender::resize: present the acquired frame first");
    }
  }
  // The old slots go away once the device is done with them; receivers keep their own
  // imports alive.
  const ColorDescription before = s.color;
  s.color = color;
  // The ring never shrinks (SenderOptions::slots): as many slots as now, or more.
  auto regenerated = s.regenerate(desc, std::max(s.slots.size(), s.slots_needed()));
  if (!regenerated) s.color = before;
  return regenerated;
}

Result<void> SenderCore::poll(milliseconds timeout) {
  State& s = *state_;
  if (s.pump() || timeout.count() == 0) return {};
  if (s.events.wait(timeout)) (void)s.pump();
  return {};
}

NativeHandle SenderCore::native_event_handle() const noexcept {
  return state_->events.native_handle();
}

SenderStats SenderCore::stats() const {
  const State& s = *state_;
  SenderStats out;
  out.frames = s.presented;
  out.fps = s.fps();
  out.receivers = s.receiver_count();
  out.host_receivers = s.host_receiver_count();
  out.generation = s.generation;
  out.sync_mode = s.offered_mode();
  out.dropped_connections = s.dropped;
  out.fan_out = s.board->fan_out();
  out.wakes_skipped = s.wakes_skipped;
  return out;
}

const std::string& SenderCore::name() const noexcept {
  return state_->name;
}
const TextureDescriptor& SenderCore::descriptor() const noexcept {
  return state_->desc;
}
SenderBackend& SenderCore::backend() const noexcept {
  return *state_->backend;
}

}  // namespace geyser::channel
