// The in-process Transport: per connection a queue of Packets each way under one mutex, and
// a Signal (an eventfd on Linux, an event on Windows: loopback_platform.hpp) per end and per
// listener kept readable exactly while a poll would say so on the Unix transport.
#include "geyser/ipc/loopback_transport.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "geyser/ipc/channel_name.hpp"
#include "loopback_platform.hpp"

namespace geyser::ipc {
namespace {

using Clock = std::chrono::steady_clock;

// Longer waits are cut to this, so that a deadline never overflows the clock.
constexpr auto kLongestWait = std::chrono::hours(24 * 365 * 100);

Clock::time_point deadline_after(Milliseconds timeout) {
  return Clock::now() + std::clamp<Clock::duration>(timeout, Clock::duration::zero(), kLongestWait);
}

std::string ms_text(Milliseconds timeout) {
  return std::to_string(timeout.count()) + " ms";
}

using loopback_detail::own_credentials;
using loopback_detail::Signal;

// A new handle for `handle`, which the caller keeps: UniqueHandle::duplicate on a borrowed
// view that gives the handle back (never closes it) however it ends.
Result<UniqueHandle> duplicate_borrowed(NativeHandle handle) {
  struct Borrowed {
    UniqueHandle handle;
    ~Borrowed() { (void)handle.release(); }
  } view{UniqueHandle(handle)};
  return view.handle.duplicate();
}

// What the two ends of a connection share. inbox[i] holds the messages waiting for end i;
// signal[i] is end i's native handle, closed with that end.
struct Pipe {
  std::mutex mutex;
  std::condition_variable changed;
  std::array<std::deque<Packet>, 2> inbox;
  std::array<bool, 2> open{true, true};
  std::array<Signal, 2> signal;

  // End `side` is readable while a message waits for it or its peer has closed.
  void refresh(int side) noexcept { signal[side].set(!inbox[side].empty() || !open[1 - side]); }
};

// One end of a connected pair. Owns its side of the Pipe: destroying it closes its Signal
// and the handles of the messages it never received, and tells the peer.
class LoopbackConnection final : public Connection {
 public:
  LoopbackConnection(std::shared_ptr<Pipe> pipe, int side, PeerCredentials peer) noexcept
      : pipe_(std::move(pipe)), side_(side), peer_(peer), handle_(pipe_->signal[side].get()) {}
  ~LoopbackConnection() override;
  LoopbackConnection(const LoopbackConnection&) = delete;
  LoopbackConnection& operator=(const LoopbackConnection&) = delete;

  Result<void> send(std::span<const std::uint8_t> bytes, std::span<const NativeHandle> handles,
                    Milliseconds timeout) override;
  Result<Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                         Milliseconds timeout) override;
  const PeerCredentials& peer() const noexcept override { return peer_; }
  NativeHandle native_handle() const noexcept override { return handle_; }

 private:
  [[nodiscard]] int other() const noexcept { return 1 - side_; }
  Result<void> enqueue(Packet packet, Milliseconds timeout);
  Result<Packet> dequeue(Milliseconds timeout);

  std::shared_ptr<Pipe> pipe_;
  int side_;
  PeerCredentials peer_;
  NativeHandle handle_;
};

LoopbackConnection::~LoopbackConnection() {
  std::deque<Packet> unread;  // closed after the lock is released
  std::lock_guard lock(pipe_->mutex);
  pipe_->open[side_] = false;
  unread.swap(pipe_->inbox[side_]);
  pipe_->signal[side_].close();
  pipe_->refresh(other());
  pipe_->changed.notify_all();
}

// The message to queue: `bytes` copied, every handle duplicated. Validation for empty bytes,
// too many handles or a negative or closed handle.
Result<Packet> make_packet(std::span<const std::uint8_t> bytes,
                           std::span<const NativeHandle> handles) {
  if (bytes.empty()) return fail(ErrorCode::Validation, "loopback send: message is empty");
  if (handles.size() > LoopbackTransport::kMaxHandles) {
    return fail(ErrorCode::Validation,
                "loopback send: " + std::to_string(handles.size()) + " handles attached, at most " +
                    std::to_string(LoopbackTransport::kMaxHandles) + " allowed");
  }
  Packet packet{{bytes.begin(), bytes.end()}, {}};
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (loopback_detail::is_empty(handles[i])) {
      return fail(ErrorCode::Validation, "loopback send: handle #" + std::to_string(i) + " is " +
                                             loopback_detail::handle_text(handles[i]) + " (empty)");
    }
    GEYSER_TRY(UniqueHandle copy, duplicate_borrowed(handles[i]));
    packet.handles.push_back(std::move(copy));
  }
  return packet;
}

Result<void> LoopbackConnection::send(std::span<const std::uint8_t> bytes,
                                      std::span<const NativeHandle> handles, Milliseconds timeout) {
  GEYSER_TRY(Packet packet, make_packet(bytes, handles));
  return enqueue(std::move(packet), timeout);
}

Result<void> LoopbackConnection::enqueue(Packet packet, Milliseconds timeout) {
  std::unique_lock lock(pipe_->mutex);
  auto& queue = pipe_->inbox[other()];
  const bool settled = pipe_->changed.wait_until(lock, deadline_after(timeout), [&] {
    return !pipe_->open[other()] || queue.size() < LoopbackTransport::kQueueDepth;
  });
  if (!pipe_->open[other()]) {
    return fail(ErrorCode::Disconnected, "loopback send: the peer closed the connection");
  }
  if (!settled) {
    return fail(ErrorCode::Timeout, "loopback send: the peer's queue stayed full (" +
                                        std::to_string(queue.size()) + " messages) for " +
                                        ms_text(timeout));
  }
  queue.push_back(std::move(packet));
  pipe_->refresh(other());
  pipe_->changed.notify_all();
  return {};
}

// Protocol when `packet` is over either bound; its handles are closed with it.
Result<Packet> check_bounds(Packet packet, std::size_t max_bytes, std::size_t max_handles) {
  if (packet.handles.size() > max_handles) {
    return fail(ErrorCode::Protocol, "loopback receive: " + std::to_string(packet.handles.size()) +
                                         " handles attached, at most " +
                                         std::to_string(max_handles) + " allowed; closed them");
  }
  if (packet.bytes.size() > max_bytes) {
    return fail(ErrorCode::Protocol,
                "loopback receive: message of " + std::to_string(packet.bytes.size()) +
                    " bytes, longer than " + std::to_string(max_bytes) + "; closed its " +
                    std::to_string(packet.handles.size()) + " handles");
  }
  return packet;
}

Result<Packet> LoopbackConnection::receive(std::size_t max_bytes, std::size_t max_handles,
                                           Milliseconds timeout) {
  GEYSER_TRY(Packet packet, dequeue(timeout));
  return check_bounds(std::move(packet), max_bytes, max_handles);
}

Result<Packet> LoopbackConnection::dequeue(Milliseconds timeout) {
  std::unique_lock lock(pipe_->mutex);
  auto& queue = pipe_->inbox[side_];
  pipe_->changed.wait_until(lock, deadline_after(timeout),
                            [&] { return !queue.empty() || !pipe_->open[other()]; });
  if (!queue.empty()) {
    Packet packet = std::move(queue.front());
    queue.pop_front();
    pipe_->refresh(side_);
    pipe_->changed.notify_all();
    return packet;
  }
  if (!pipe_->open[other()]) {
    return fail(ErrorCode::Disconnected, "loopback receive: the peer closed the connection");
  }
  return fail(ErrorCode::Timeout, "loopback receive: no message within " + ms_text(timeout));
}

// A connected pair: the client's end, which reports `server` as its peer, and the server's.
struct Ends {
  std::unique_ptr<Connection> client;
  std::unique_ptr<Connection> server;
};

Result<Ends> make_ends(const PeerCredentials& client, const PeerCredentials& server) {
  auto pipe = std::make_shared<Pipe>();
  for (Signal& signal : pipe->signal) {
    GEYSER_TRY(signal, Signal::create("loopback connect"));
  }
  return Ends{std::make_unique<LoopbackConnection>(pipe, 0, server),
              std::make_unique<LoopbackConnection>(pipe, 1, client)};
}

}  // namespace

namespace loopback_detail {

// One published name: the server ends waiting to be accepted. Guarded by Registry::mutex.
struct Backlog {
  std::string name;
  PeerCredentials owner;  // the listener's process
  std::deque<std::unique_ptr<Connection>> waiting;
  bool open = true;
  Signal signal;  // readable while `waiting` is not empty
};

// The published names of one LoopbackTransport, shared with its listeners.
struct Registry {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::shared_ptr<Backlog>, std::less<>> published;

  Result<std::shared_ptr<Backlog>> publish(std::string_view name, const PeerCredentials& owner,
                                           Signal signal);
  void unpublish(Backlog& backlog) noexcept;
  std::shared_ptr<Backlog> find(std::string_view name);
  Result<void> enqueue(Backlog& backlog, std::unique_ptr<Connection> server, Milliseconds timeout);
  Result<std::unique_ptr<Connection>> dequeue(Backlog& backlog, Milliseconds timeout);
};

Result<std::shared_ptr<Backlog>> Registry::publish(std::string_view name,
                                                   const PeerCredentials& owner, Signal signal) {
  std::lock_guard lock(mutex);
  if (published.find(name) != published.end()) {
    return fail(ErrorCode::Validation, "LoopbackTransport::listen: channel " + std::string(name) +
                                           " is already published");
  }
  auto backlog = std::make_shared<Backlog>();
  backlog->name = std::string(name);
  backlog->owner = owner;
  backlog->signal = std::move(signal);
  published.emplace(backlog->name, backlog);
  return backlog;
}

void Registry::unpublish(Backlog& backlog) noexcept {
  std::deque<std::unique_ptr<Connection>> unaccepted;  // closed after the lock is released
  std::lock_guard lock(mutex);
  published.erase(backlog.name);
  backlog.open = false;
  unaccepted.swap(backlog.waiting);
  backlog.signal.close();
  changed.notify_all();
}

std::shared_ptr<Backlog> Registry::find(std::string_view name) {
  std::lock_guard lock(mutex);
  const auto found = published.find(name);
  return found == published.end() ? nullptr : found->second;
}

Result<void> Registry::enqueue(Backlog& backlog, std::unique_ptr<Connection> server,
                               Milliseconds timeout) {
  std::unique_lock lock(mutex);
  const bool settled = changed.wait_until(lock, deadline_after(timeout), [&] {
    return !backlog.open || backlog.waiting.size() < LoopbackTransport::kBacklog;
  });
  if (!backlog.open) {
    return fail(ErrorCode::Disconnected,
                "LoopbackTransport::connect: channel " + backlog.name + " was unpublished");
  }
  if (!settled) {
    return fail(ErrorCode::Timeout, "LoopbackTransport::connect: the backlog of channel " +
                                        backlog.name + " stayed full for " + ms_text(timeout));
  }
  backlog.waiting.push_back(std::move(server));
  backlog.signal.set(true);
  changed.notify_all();
  return {};
}

Result<std::unique_ptr<Connection>> Registry::dequeue(Backlog& backlog, Milliseconds timeout) {
  std::unique_lock lock(mutex);
  if (!changed.wait_until(lock, deadline_after(timeout),
                          [&] { return !backlog.waiting.empty(); })) {
    return fail(ErrorCode::Timeout, "loopback accept: no connection on channel " + backlog.name +
                                        " within " + ms_text(timeout));
  }
  std::unique_ptr<Connection> server = std::move(backlog.waiting.front());
  backlog.waiting.pop_front();
  backlog.signal.set(!backlog.waiting.empty());
  changed.notify_all();
  return server;
}

}  // namespace loopback_detail

namespace {

// A published name. Destroying it unpublishes the name and closes unaccepted connections.
class LoopbackListener final : public TransportListener {
 public:
  LoopbackListener(std::shared_ptr<loopback_detail::Registry> registry,
                   std::shared_ptr<loopback_detail::Backlog> backlog) noexcept
      : registry_(std::move(registry)),
        backlog_(std::move(backlog)),
        handle_(backlog_->signal.get()) {}
  ~LoopbackListener() override { registry_->unpublish(*backlog_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  Result<std::unique_ptr<Connection>> accept(Milliseconds timeout) override {
    return registry_->dequeue(*backlog_, timeout);
  }
  NativeHandle native_handle() const noexcept override { return handle_; }

 private:
  std::shared_ptr<loopback_detail::Registry> registry_;
  std::shared_ptr<loopback_detail::Backlog> backlog_;
  NativeHandle handle_;
};

}  // namespace

LoopbackTransport::LoopbackTransport() : registry_(std::make_shared<loopback_detail::Registry>()) {}

LoopbackTransport::~LoopbackTransport() = default;

Result<std::unique_ptr<TransportListener>> LoopbackTransport::listen(std::string_view name) {
  return listen_as(name, own_credentials());
}

Result<std::unique_ptr<TransportListener>> LoopbackTransport::listen_as(
    std::string_view name, const PeerCredentials& owner) {
  GEYSER_TRY_VOID(validate_channel_name(name));
  GEYSER_TRY(Signal signal, Signal::create("LoopbackTransport::listen"));
  GEYSER_TRY(auto backlog, registry_->publish(name, owner, std::move(signal)));
  return std::unique_ptr<TransportListener>(
      std::make_unique<LoopbackListener>(registry_, std::move(backlog)));
}

Result<std::unique_ptr<Connection>> LoopbackTransport::connect(std::string_view name,
                                                               Milliseconds timeout) {
  return connect_as(name, own_credentials(), timeout);
}

Result<std::unique_ptr<Connection>> LoopbackTransport::connect_as(std::string_view name,
                                                                  const PeerCredentials& client,
                                                                  Milliseconds timeout) {
  GEYSER_TRY_VOID(validate_channel_name(name));
  const auto backlog = registry_->find(name);
  if (!backlog) {
    return fail(ErrorCode::Disconnected,
                "LoopbackTransport::connect: nobody publishes channel " + std::string(name));
  }
  GEYSER_TRY(Ends ends, make_ends(client, backlog->owner));
  GEYSER_TRY_VOID(registry_->enqueue(*backlog, std::move(ends.server), timeout));
  return std::move(ends.client);
}

Result<std::vector<std::string>> LoopbackTransport::list() {
  std::lock_guard lock(registry_->mutex);
  std::vector<std::string> names;
  names.reserve(registry_->published.size());
  for (const auto& entry : registry_->published) names.push_back(entry.first);
  return names;
}

}  // namespace geyser::ipc
