// Sender: a ring of shared textures behind a published socket.
#include "geyser/channel/sender.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "queue_ops.hpp"

namespace geyser::channel {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : milliseconds(0);
}

// One connection: a receiver, a lister, or not yet known.
struct Connection {
  enum class Role { Unknown, Receiver };
  UniqueFd socket;
  ipc::PeerCredentials peer;
  Role role = Role::Unknown;
  SyncMode mode = SyncMode::Cpu;
  std::uint64_t generation_sent = 0;       // the generation whose StreamDescription it has
  std::vector<vulkan::TextureSync> syncs;  // per slot, producer side
  std::vector<std::uint64_t> outstanding;  // per slot: frame given and not released (0: none)
  std::vector<std::uint64_t> must_reach;   // per slot, gpu: `released` must reach this

  std::uint32_t outstanding_count() const {
    return static_cast<std::uint32_t>(
        std::count_if(outstanding.begin(), outstanding.end(), [](auto f) { return f != 0; }));
  }
};

struct Slot {
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  TextureShareHandle handle;  // exported once per generation; duplicated per receiver
  std::uint64_t last_frame = 0;
  bool in_app = false;  // acquired by the application, not yet presented
};

}  // namespace

struct Sender::State {
  const vulkan::Device* device = nullptr;
  vulkan::VulkanTextureShareManager manager;
  std::string name;
  SenderOptions options;
  TextureDescriptor desc;
  SyncCapabilities caps;
  std::optional<ipc::ChannelListener> listener;
  std::uint64_t generation = 0;
  std::uint64_t next_frame = 1;
  std::uint64_t dropped = 0;
  std::deque<Clock::time_point> recent_presents;
  Clock::time_point last_refusal_log{};
  std::vector<Slot> slots;
  // Declared after `slots`: connections hold TextureSyncs that point at the slots' textures.
  std::vector<std::unique_ptr<Connection>> connections;
  // Closed connections waiting for the GPU to finish the submissions that name their
  // semaphores, with the `progress` value that marks it.
  std::vector<std::pair<std::uint64_t, std::unique_ptr<Connection>>> retired;
  // A private timeline signalled by every present() submission with the frame number.
  VkSemaphore progress = VK_NULL_HANDLE;
  std::uint64_t progress_value = 0;

  explicit State(const vulkan::Device& d) : device(&d), manager(d) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    // Unpublish first, so that no receiver reconnects to a sender that is going away.
    listener.reset();
    for (auto& c : connections) {
      (void)ipc::send(c->socket, ipc::Message(ipc::Goodbye{}), milliseconds(0));
    }
    // Nothing may still use the textures or semaphores when they are destroyed.
    if (device != nullptr) vkQueueWaitIdle(device->queue());
    connections.clear();
    retired.clear();
    slots.clear();
    if (progress != VK_NULL_HANDLE) vkDestroySemaphore(device->device(), progress, nullptr);
  }

  Result<void> create_progress() {
    VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
    if (VkResult r = vkCreateSemaphore(device->device(), &info, nullptr, &progress);
        r != VK_SUCCESS) {
      return tl::unexpected(vulkan::vk_error(r, "vkCreateSemaphore(progress timeline)"));
    }
    return {};
  }

  void log(const std::string& message) const {
    std::fprintf(stderr, "geyser: sender '%s': %s\n", name.c_str(), message.c_str());
  }

  void drop(std::size_t index, const Error& why, bool tell_peer) {
    Connection& c = *connections[index];
    log("closing the connection of pid " + std::to_string(c.peer.pid) + ": " + why.to_string());
    if (tell_peer) {
      (void)ipc::send(c.socket, ipc::Message(ipc::ErrorMessage{why.code(), why.message()}),
                      milliseconds(0));
    }
    // Closing a socket with unread packets makes Linux reset the connection, and the peer
    // would read ECONNRESET instead of our Error: discard what is queued first (bounded).
    for (int i = 0; i < 64; ++i) {
      if (!ipc::receive_message(c.socket, ipc::kMaxMessageSize, ipc::kMaxHandlesPerMessage,
                                milliseconds(0))) {
        break;
      }
    }
    ++dropped;
    retire(index);
  }

  // Closes a connection now; its semaphores may still be named by present()'s pending
  // signal submissions, so they are destroyed once `progress` shows those have executed
  // (VUID-vkDestroySemaphore-semaphore-01137).
  void retire(std::size_t index) {
    std::unique_ptr<Connection> c = std::move(connections[index]);
    connections.erase(connections.begin() + static_cast<std::ptrdiff_t>(index));
    c->socket.reset();  // the peer sees EOF at once
    if (!c->syncs.empty()) retired.emplace_back(progress_value, std::move(c));
  }

  // Destroys retired connections whose last possible use has executed. Never waits.
  void collect_retired() {
    if (retired.empty()) return;
    std::uint64_t done = 0;
    if (vkGetSemaphoreCounterValue(device->device(), progress, &done) != VK_SUCCESS) return;
    std::erase_if(retired, [done](const auto& entry) { return entry.first <= done; });
  }

  // Slots needed so that receivers that stop reading stall nobody: each holds at most two
  // frames (the one it reads and one given but not yet acquired), plus one to write into.
  std::size_t slots_needed() const {
    return std::clamp<std::size_t>(2 * receiver_count() + 1, options.slots, ipc::kMaxSlots);
  }

  // A new generation with `count` slots of `d`: the GPU must be done with the old ones.
  Result<void> regenerate(const TextureDescriptor& d, std::size_t count) {
    if (VkResult r = vkQueueWaitIdle(device->queue()); r != VK_SUCCESS) {
      return tl::unexpected(vulkan::vk_error(r, "vkQueueWaitIdle"));
    }
    retired.clear();
    for (auto& c : connections) {
      c->syncs.clear();
      c->outstanding.clear();
      c->must_reach.clear();
      c->generation_sent = 0;
    }
    GEYSER_TRY_VOID(make_slots(d, count));
    for (std::size_t i = 0; i < connections.size();) {
      Connection& c = *connections[i];
      if (c.role == Connection::Role::Receiver) {
        if (auto sent = send_stream_description(c); !sent) {
          drop(i, sent.error(), false);
          continue;
        }
      }
      ++i;
    }
    return {};
  }

  Result<void> make_slots(const TextureDescriptor& d, std::size_t count) {
    std::vector<Slot> fresh(count);
    for (Slot& slot : fresh) {
      GEYSER_TRY(slot.texture, manager.create(d));
      GEYSER_TRY(slot.handle, manager.export_texture(*slot.texture));
    }
    slots = std::move(fresh);
    desc = d;
    ++generation;
    return {};
  }

  Result<void> send_stream_description(Connection& c) {
    c.syncs.clear();
    c.outstanding.assign(slots.size(), 0);
    c.must_reach.assign(slots.size(), 0);
    ipc::StreamDescription message;
    message.generation = generation;
    message.descriptor = desc;
    message.image = slots[0].handle.image;
    message.handle_type = slots[0].handle.handle_type;
    message.identity = slots[0].handle.identity;
    message.sync_mode = c.mode;
    for (Slot& slot : slots) {
      GEYSER_TRY(auto sync, vulkan::TextureSync::create_producer(manager, *slot.texture, c.mode));
      GEYSER_TRY(auto handles, sync.export_handles());
      ipc::SlotHandles fds;
      GEYSER_TRY(fds.memory, slot.handle.os_handle.duplicate());
      fds.ready = std::move(handles.ready);
      fds.released = std::move(handles.released);
      message.slots.push_back(std::move(fds));
      c.syncs.push_back(std::move(sync));
    }
    GEYSER_TRY_VOID(ipc::send(c.socket, ipc::Message(std::move(message)), options.send_timeout));
    c.generation_sent = generation;
    return {};
  }

  // Handles one message of connection `index`. An error closes that connection only.
  Result<void> handle(Connection& c, ipc::Message message) {
    if (c.role == Connection::Role::Unknown) {
      if (std::holds_alternative<ipc::DescribeRequest>(message)) {
        GEYSER_TRY_VOID(ipc::send(c.socket, ipc::Message(describe()), options.send_timeout));
        return fail(ErrorCode::Disconnected, "lister answered");
      }
      if (auto* hello = std::get_if<ipc::Hello>(&message)) {
        if (!hello->identity.compatible_with(device->identity())) {
          return fail(ErrorCode::DeviceMismatch,
                      "the receiver imports on driver " + to_string(hello->identity.driver_uuid) +
                          " device " + to_string(hello->identity.device_uuid) +
                          ", this sender's textures live on " + device->name() + " (device " +
                          to_string(device->identity().device_uuid) + ")");
        }
        GEYSER_TRY(c.mode, choose_sync_mode(caps, hello->sync));
        c.role = Connection::Role::Receiver;
        return send_stream_description(c);
      }
      return fail(ErrorCode::Protocol,
                  std::string("expected Hello or DescribeRequest first, got ") +
                      std::string(ipc::to_string(ipc::message_type(message))));
    }
    if (auto* released = std::get_if<ipc::FrameReleased>(&message)) {
      if (released->generation != generation) return {};  // an old generation: nothing to do
      if (released->slot >= slots.size() || c.outstanding[released->slot] != released->frame ||
          released->frame == 0) {
        return fail(ErrorCode::Protocol,
                    "FrameReleased for frame " + std::to_string(released->frame) + " in slot " +
                        std::to_string(released->slot) + ", which this receiver does not hold");
      }
      c.outstanding[released->slot] = 0;
      return {};
    }
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

  ipc::Description describe() const {
    ipc::Description d;
    d.width = desc.width;
    d.height = desc.height;
    d.format = desc.format;
    d.sync_mode = (caps.timeline_export && caps.timeline_import) ? SyncMode::Gpu : SyncMode::Cpu;
    d.fps_milli = static_cast<std::uint32_t>(fps() * 1000.0);
    d.frame_count = next_frame - 1;
    d.receiver_count = receiver_count();
    d.sender_pid = static_cast<std::uint32_t>(getpid());
    return d;
  }

  std::uint32_t receiver_count() const {
    return static_cast<std::uint32_t>(
        std::count_if(connections.begin(), connections.end(),
                      [](const auto& c) { return c->role == Connection::Role::Receiver; }));
  }

  double fps() const {
    if (recent_presents.size() < 2) return 0.0;
    const double seconds =
        std::chrono::duration<double>(recent_presents.back() - recent_presents.front()).count();
    return seconds > 0 ? static_cast<double>(recent_presents.size() - 1) / seconds : 0.0;
  }

  // Accepts waiting connections and reads every message that has arrived. Never blocks.
  void pump() {
    collect_retired();
    for (;;) {
      auto accepted = listener->accept(milliseconds(0));
      if (!accepted) break;
      auto socket = std::move(accepted).value();
      auto peer = ipc::check_peer(socket, options.peers);
      if (!peer) {
        // A refused client may retry in a loop: log at most once a second.
        if (Clock::now() - last_refusal_log > std::chrono::seconds(1)) {
          log("refused a connection: " + peer.error().to_string());
          last_refusal_log = Clock::now();
        }
        ++dropped;
        continue;
      }
      auto c = std::make_unique<Connection>();
      c->socket = std::move(socket);
      c->peer = *peer;
      connections.push_back(std::move(c));
    }
    for (std::size_t i = 0; i < connections.size();) {
      Connection& c = *connections[i];
      bool closed = false;
      for (;;) {
        auto message = ipc::receive(c.socket, milliseconds(0));
        if (!message) {
          const ErrorCode code = message.error().code();
          if (code == ErrorCode::Timeout) break;
          if (code == ErrorCode::Disconnected) {
            retire(i);
          } else {
            drop(i, message.error(), true);
          }
          closed = true;
          break;
        }
        if (auto handled = handle(c, std::move(message).value()); !handled) {
          if (handled.error().code() == ErrorCode::Disconnected) {
            retire(i);
          } else {
            drop(i, handled.error(), true);
          }
          closed = true;
          break;
        }
      }
      if (!closed) ++i;
    }
  }

  // Waits until a socket is readable or `timeout` passes.
  void wait_for_activity(milliseconds timeout) const {
    std::vector<pollfd> fds;
    fds.push_back({listener->listener().fd().get(), POLLIN, 0});
    for (const auto& c : connections) fds.push_back({c->socket.get(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  }

  bool slot_free(std::size_t index) const {
    if (slots[index].in_app) return false;
    for (const auto& c : connections) {
      if (c->role != Connection::Role::Receiver || c->generation_sent != generation) continue;
      if (c->outstanding[index] != 0) return false;
      // Gpu mode: the receiver's release was submitted before its FrameReleased; the slot
      // is reusable once the GPU has executed it. A poll, never a wait: a receiver that died
      // with a release pending must not stall us (its connection closes and frees the slot).
      if (c->mode == SyncMode::Gpu && c->must_reach[index] != 0) {
        auto value = c->syncs[index].peer_value();
        if (!value || *value < c->must_reach[index]) return false;
      }
    }
    return true;
  }
};

Sender::Sender(std::unique_ptr<State> state) : state_(std::move(state)) {}
Sender::Sender(Sender&&) noexcept = default;
Sender& Sender::operator=(Sender&&) noexcept = default;
Sender::~Sender() = default;

Result<Sender> Sender::publish(const vulkan::Device& device, std::string name,
                               const TextureDescriptor& desc, const SenderOptions& options) {
  GEYSER_TRY_VOID(ipc::validate_channel_name(name));
  if (options.slots < 2 || options.slots > ipc::kMaxSlots) {
    return fail(ErrorCode::Validation, "Sender::publish: slots " + std::to_string(options.slots) +
                                           " is out of range 2.." + std::to_string(ipc::kMaxSlots));
  }
  GEYSER_TRY_VOID(validate(desc));
  auto state = std::make_unique<State>(device);
  state->name = name;
  state->options = options;
  state->caps = state->manager.sync_capabilities();
  GEYSER_TRY_VOID(state->create_progress());
  GEYSER_TRY_VOID(state->make_slots(desc, options.slots));
  std::filesystem::path dir = options.runtime_dir;
  if (dir.empty()) {
    GEYSER_TRY(dir, ipc::runtime_dir());
  } else {
    GEYSER_TRY_VOID(ipc::ensure_private_dir(dir));
  }
  GEYSER_TRY(auto listener, ipc::publish_channel(dir, name));
  state->listener.emplace(std::move(listener));
  return Sender(std::move(state));
}

Result<SenderFrame> Sender::acquire(milliseconds timeout) {
  State& s = *state_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    s.pump();
    if (s.slots.size() < s.slots_needed()) {
      // More receivers than the ring can serve without one stalling the rest: grow it.
      GEYSER_TRY_VOID(s.regenerate(s.desc, s.slots_needed()));
    }
    // The free slot written longest ago.
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < s.slots.size(); ++i) {
      if (s.slots[i].in_app) {
        return fail(ErrorCode::Validation,
                    "Sender::acquire: slot " + std::to_string(i) +
                        " is already acquired; present it before acquiring another");
      }
      if (s.slot_free(i) && (!best || s.slots[i].last_frame < s.slots[*best].last_frame)) best = i;
    }
    if (best) {
      s.slots[*best].in_app = true;
      return SenderFrame{s.next_frame, static_cast<std::uint32_t>(*best), s.generation,
                         s.slots[*best].texture.get()};
    }
    const auto left = remaining(deadline);
    if (left.count() == 0) {
      return fail(ErrorCode::Timeout,
                  "Sender::acquire: every slot is still held by receivers after " +
                      std::to_string(timeout.count()) + " ms");
    }
    // Releases arrive as messages; a gpu release may still be executing: look again soon.
    s.wait_for_activity(std::min(left, milliseconds(1)));
  }
}

Result<void> Sender::present(const SenderFrame& frame) {
  State& s = *state_;
  if (frame.generation != s.generation || frame.slot >= s.slots.size() ||
      !s.slots[frame.slot].in_app || frame.frame != s.next_frame) {
    return fail(ErrorCode::Validation, "Sender::present: frame " + std::to_string(frame.frame) +
                                           " in slot " + std::to_string(frame.slot) +
                                           " was not acquired from this sender's current ring");
  }
  Slot& slot = s.slots[frame.slot];
  // Who gets the frame: receivers of this generation that hold fewer than two frames (the
  // one they read and one given but not yet acquired), so one that stopped reading pins at
  // most two slots; the ring has 2 per receiver + 1 (see slots_needed).
  constexpr std::uint32_t max_held = 2;
  std::vector<Connection*> targets;
  bool any_cpu = false;
  std::vector<VkSemaphoreSubmitInfo> signals;
  for (auto& c : s.connections) {
    if (c->role != Connection::Role::Receiver || c->generation_sent != s.generation) continue;
    if (c->outstanding_count() >= max_held) continue;
    targets.push_back(c.get());
    if (c->mode == SyncMode::Gpu) {
      signals.push_back(*c->syncs[frame.slot].outgoing_signal(frame.frame));
    } else {
      any_cpu = true;
    }
  }
  // Gpu receivers: a signal submitted after the application's writes. Cpu receivers: the
  // writes must be finished before the frame is announced.
  VkSemaphoreSubmitInfo progress{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  progress.semaphore = s.progress;
  progress.value = frame.frame;
  progress.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  signals.push_back(progress);
  GEYSER_TRY_VOID(detail::submit_semaphores(*s.device, {}, signals));
  s.progress_value = frame.frame;
  if (any_cpu) GEYSER_TRY_VOID(detail::drain_queue(*s.device, s.options.gpu_timeout));
  const ipc::FramePresented message{s.generation,
                                    static_cast<std::uint8_t>(frame.slot),
                                    frame.frame,
                                    frame.frame,
                                    detail::monotonic_ns(),
                                    kSharedImageLayout};
  for (Connection* c : targets) {
    if (c->mode == SyncMode::Cpu) (void)c->syncs[frame.slot].signal_texture_ready(frame.frame);
    auto sent = ipc::send(c->socket, ipc::Message(message), s.options.send_timeout);
    if (!sent) continue;  // a full socket skips this frame; EOF is seen by the next pump
    c->outstanding[frame.slot] = frame.frame;
    if (c->mode == SyncMode::Gpu) c->must_reach[frame.slot] = frame.frame;
  }
  slot.in_app = false;
  slot.last_frame = frame.frame;
  ++s.next_frame;
  s.recent_presents.push_back(Clock::now());
  while (s.recent_presents.size() > 2 &&
         s.recent_presents.back() - s.recent_presents.front() > std::chrono::seconds(1)) {
    s.recent_presents.pop_front();
  }
  return {};
}

Result<std::uint64_t> Sender::write(std::span<const std::uint8_t> bytes, milliseconds timeout) {
  GEYSER_TRY(SenderFrame frame, acquire(timeout));
  if (auto uploaded = vulkan::upload(*frame.texture, bytes); !uploaded) {
    state_->slots[frame.slot].in_app = false;
    return tl::unexpected(std::move(uploaded).error());
  }
  GEYSER_TRY_VOID(present(frame));
  return frame.frame;
}

Result<void> Sender::resize(const TextureDescriptor& desc) {
  State& s = *state_;
  GEYSER_TRY_VOID(validate(desc));
  for (const Slot& slot : s.slots) {
    if (slot.in_app) {
      return fail(ErrorCode::Validation, "Sender::resize: present the acquired frame first");
    }
  }
  // The old textures and semaphores go away once the GPU is done with them; receivers keep
  // their own imports alive.
  GEYSER_TRY_VOID(s.regenerate(desc, s.slots_needed()));
  return {};
}

Result<void> Sender::poll(milliseconds timeout) {
  State& s = *state_;
  s.pump();
  if (timeout.count() > 0) {
    s.wait_for_activity(timeout);
    s.pump();
  }
  return {};
}

SenderStats Sender::stats() const {
  const State& s = *state_;
  SenderStats out;
  out.frames = s.next_frame - 1;
  out.fps = s.fps();
  out.receivers = s.receiver_count();
  out.generation = s.generation;
  out.sync_mode = s.describe().sync_mode;
  out.dropped_connections = s.dropped;
  return out;
}

const std::string& Sender::name() const noexcept {
  return state_->name;
}
const TextureDescriptor& Sender::descriptor() const noexcept {
  return state_->desc;
}

}  // namespace geyser::channel
