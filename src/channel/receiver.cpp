// Receiver: imports a sender's ring once per generation and follows its newest frame.
#include "geyser/channel/receiver.hpp"

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "queue_ops.hpp"

namespace geyser::channel {

/// One imported slot of one generation of one connection (DESIGN.md rule 6: imported once,
/// cached by (connection, generation, slot)).
struct ImportedSlot {
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  std::optional<vulkan::TextureSync> sync;  // declared after: destroyed before the texture
};

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : milliseconds(0);
}

}  // namespace

std::string_view to_string(ReceiverState state) noexcept {
  switch (state) {
    case ReceiverState::Connected: return "connected";
    case ReceiverState::Waiting: return "waiting";
    default: return "disconnected";
  }
}

struct Receiver::State {
  const vulkan::Device* device = nullptr;
  vulkan::VulkanTextureShareManager manager;
  std::string name;
  ReceiverOptions options;
  std::filesystem::path dir;

  UniqueFd socket;                  // empty: disconnected
  std::uint64_t connection_id = 0;  // bumped on every connection
  bool have_stream = false;
  std::uint64_t generation = 0;
  TextureDescriptor desc;
  SyncMode mode = SyncMode::Cpu;
  std::vector<std::shared_ptr<ImportedSlot>> slots;
  // Imports of earlier generations or connections, kept until the GPU is surely done.
  std::vector<std::shared_ptr<ImportedSlot>> retired;
  std::optional<ipc::FramePresented> pending;  // the newest frame not yet acquired
  std::optional<ReceivedFrame> held;
  struct LastWords {
    ipc::FramePresented frame;
    std::shared_ptr<ImportedSlot> slot;
  };
  std::optional<LastWords> last_words;  // a frame presented right before the sender left
  std::uint64_t last_acquired = 0;      // frame number, for counting skipped frames
  ReceiverStats stats;

  explicit State(const vulkan::Device& d) : device(&d), manager(d) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (socket) {
      (void)release_held();
      (void)ipc::send(socket, ipc::Message(ipc::Goodbye{}), milliseconds(0));
    }
    held.reset();
    if (device != nullptr) vkQueueWaitIdle(device->queue());
    slots.clear();
    retired.clear();
  }

  void log(const std::string& message) const {
    std::fprintf(stderr, "geyser: receiver '%s': %s\n", name.c_str(), message.c_str());
  }

  void disconnect() {
    socket.reset();
    have_stream = false;
    // A frame presented just before the sender left is still whole in memory we hold: keep
    // it so that the last frames of a sender that exits are not lost.
    if (pending && pending->slot < slots.size()) {
      last_words = LastWords{*pending, slots[pending->slot]};
    }
    pending.reset();
    for (auto& slot : slots) retired.push_back(std::move(slot));
    slots.clear();
  }

  // Closes the connection after telling the sender why (best effort).
  Error abandon(Error why) {
    if (socket) {
      (void)ipc::send(socket, ipc::Message(ipc::ErrorMessage{why.code(), why.message()}),
                      milliseconds(0));
    }
    log("closing the connection: " + why.to_string());
    disconnect();
    return why;
  }

  Result<void> import_stream(ipc::StreamDescription description) {
    if (!description.identity.compatible_with(device->identity())) {
      return fail(ErrorCode::DeviceMismatch,
                  "channel '" + name + "' shares textures of driver " +
                      geyser::to_string(description.identity.driver_uuid) + " device " +
                      geyser::to_string(description.identity.device_uuid) + ", this receiver's " +
                      device->name() + " is device " +
                      geyser::to_string(device->identity().device_uuid));
    }
    std::vector<std::shared_ptr<ImportedSlot>> fresh;
    for (ipc::SlotHandles& fds : description.slots) {
      auto slot = std::make_shared<ImportedSlot>();
      TextureShareHandle handle;
      handle.os_handle = std::move(fds.memory);
      handle.handle_type = description.handle_type;
      handle.identity = description.identity;
      handle.descriptor = description.descriptor;
      handle.image = description.image;
      GEYSER_TRY(slot->texture, manager.import(handle));
      vulkan::SyncShareHandles sync_handles;
      sync_handles.mode = description.sync_mode;
      sync_handles.ready = std::move(fds.ready);
      sync_handles.released = std::move(fds.released);
      sync_handles.identity = description.identity;
      GEYSER_TRY(auto sync,
                 vulkan::TextureSync::create_consumer(manager, *slot->texture, sync_handles));
      slot->sync.emplace(std::move(sync));
      fresh.push_back(std::move(slot));
      ++stats.imports;
    }
    for (auto& slot : slots) retired.push_back(std::move(slot));
    slots = std::move(fresh);
    generation = description.generation;
    desc = description.descriptor;
    mode = description.sync_mode;
    stats.sync_mode = mode;
    have_stream = true;
    pending.reset();
    return {};
  }

  // Gives back a frame that was presented to us but superseded before we acquired it.
  Result<void> skip(const ipc::FramePresented& frame) {
    ImportedSlot& slot = *slots[frame.slot];
    if (mode == SyncMode::Gpu) {
      // A semaphore-only submit rather than vkSignalSemaphore: it is ordered after our
      // earlier release signals on the same queue, so the timeline only ever rises (and the
      // 1.3.239 validation layer reports host signals of shared semaphores falsely).
      const VkSemaphoreSubmitInfo signal = *slot.sync->outgoing_signal(frame.frame);
      GEYSER_TRY_VOID(detail::submit_semaphores(*device, {}, {&signal, 1}));
    } else {
      GEYSER_TRY_VOID(slot.sync->signal_texture_ready(frame.frame));
    }
    GEYSER_TRY_VOID(ipc::send(
        socket, ipc::Message(ipc::FrameReleased{frame.generation, frame.slot, frame.frame}),
        milliseconds(100)));
    return {};
  }

  // Handles one message; an error means the connection is unusable.
  Result<void> handle(ipc::Message message) {
    if (auto* description = std::get_if<ipc::StreamDescription>(&message)) {
      return import_stream(std::move(*description));
    }
    if (auto* presented = std::get_if<ipc::FramePresented>(&message)) {
      if (!have_stream || presented->generation != generation || presented->slot >= slots.size()) {
        if (have_stream && presented->generation < generation) return {};
        return fail(ErrorCode::Protocol, "FramePresented for generation " +
                                             std::to_string(presented->generation) + " slot " +
                                             std::to_string(presented->slot) +
                                             ", which the stream does not have");
      }
      if (pending) GEYSER_TRY_VOID(skip(*pending));
      pending = *presented;
      return {};
    }
    if (std::holds_alternative<ipc::Goodbye>(message)) {
      return fail(ErrorCode::Disconnected, "the sender of channel '" + name + "' closed it");
    }
    if (auto* error = std::get_if<ipc::ErrorMessage>(&message)) {
      return fail(error->code, "the sender of channel '" + name + "' refused: " + error->text);
    }
    return fail(ErrorCode::Protocol, std::string("unexpected ") +
                                         std::string(ipc::to_string(ipc::message_type(message))) +
                                         " from the sender");
  }

  // Reads messages for at most `timeout` (0: only those already there), until a frame is
  // pending. Disconnected (and the connection closed) when the sender went away.
  Result<void> pump(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto message = ipc::receive(socket, pending ? milliseconds(0) : remaining(deadline));
      if (!message) {
        if (message.error().code() == ErrorCode::Timeout) return {};
        if (message.error().code() == ErrorCode::Disconnected) {
          disconnect();
          return fail(ErrorCode::Disconnected, "the sender of channel '" + name + "' went away");
        }
        return tl::unexpected(abandon(std::move(message).error()));
      }
      const bool description = std::holds_alternative<ipc::StreamDescription>(*message);
      if (auto handled = handle(std::move(message).value()); !handled) {
        if (handled.error().code() == ErrorCode::Disconnected) {
          disconnect();
          return handled;
        }
        return tl::unexpected(abandon(std::move(handled).error()));
      }
      // A new stream is news for the caller (connect waits for exactly that): return rather
      // than wait on for a frame the sender may only present once we are connected.
      if (description) return {};
    }
  }

  // Connects, says Hello and waits for the stream description.
  Result<void> try_connect(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    GEYSER_TRY(UniqueFd fd, ipc::connect_channel(dir, name, remaining(deadline)));
    socket = std::move(fd);
    ipc::Hello hello;
    hello.client_pid = static_cast<std::uint32_t>(getpid());
    hello.sync = manager.sync_capabilities();
    hello.identity = device->identity();
    if (auto sent = ipc::send(socket, ipc::Message(hello), remaining(deadline)); !sent) {
      disconnect();
      return sent;
    }
    while (!have_stream) {
      if (remaining(deadline).count() == 0) {
        disconnect();
        return fail(ErrorCode::Timeout,
                    "the sender of channel '" + name + "' did not describe its stream in time");
      }
      GEYSER_TRY_VOID(pump(remaining(deadline)));
    }
    // Counted only once the sender has described its stream: an attempt that timed out on a
    // sender still starting up is no connection.
    ++connection_id;
    last_acquired = 0;  // a new sender numbers its frames from 1
    return {};
  }

  // Releases the held frame to the sender, after the reads submitted before this call.
  Result<void> release_held() {
    if (!held) return {};
    ReceivedFrame frame = std::move(*held);
    held.reset();
    if (!socket || frame.connection != connection_id || frame.generation != generation) {
      // Its sender or generation is gone: nobody waits for it. Its import is retired.
      return {};
    }
    ImportedSlot& slot = *slots[frame.slot];
    if (mode == SyncMode::Gpu) {
      const VkSemaphoreSubmitInfo signal = *slot.sync->outgoing_signal(frame.frame);
      GEYSER_TRY_VOID(detail::submit_semaphores(*device, {}, {&signal, 1}));
    } else {
      GEYSER_TRY_VOID(detail::drain_queue(*device, options.gpu_timeout));
      GEYSER_TRY_VOID(slot.sync->signal_texture_ready(frame.frame));
    }
    auto sent =
        ipc::send(socket,
                  ipc::Message(ipc::FrameReleased{
                      frame.generation, static_cast<std::uint8_t>(frame.slot), frame.frame}),
                  milliseconds(100));
    if (!sent && sent.error().code() == ErrorCode::Disconnected) disconnect();
    return {};
  }

  // The frame the sender presented right before it left, as the held frame. Gpu mode: waits
  // on the CPU, bounded, rather than on the queue, in case its signal never executes.
  std::optional<ReceivedFrame> take_last_words() {
    LastWords last = std::move(*last_words);
    last_words.reset();
    if (!last.slot->sync->wait_for_texture(last.frame.frame, milliseconds(500))) {
      return std::nullopt;
    }
    (void)release_held();
    ReceivedFrame out;
    out.frame = last.frame.frame;
    out.generation = last.frame.generation;
    out.slot = last.frame.slot;
    out.timestamp_ns = last.frame.timestamp_ns;
    out.connection = connection_id;
    out.texture = last.slot->texture.get();
    out.keep_alive = std::move(last.slot);
    held = out;
    ++stats.frames_acquired;
    return out;
  }

  void collect_retired() {
    if (retired.empty()) return;
    // Only the held frame may still be read by the application; the rest can go once the
    // queue has finished what was submitted (generation changes are rare).
    if (detail::drain_queue(*device, options.gpu_timeout)) {
      std::erase_if(retired, [&](const std::shared_ptr<ImportedSlot>& slot) {
        return !held || held->keep_alive != slot;
      });
    }
  }
};

Receiver::Receiver(std::unique_ptr<State> state) : state_(std::move(state)) {}
Receiver::Receiver(Receiver&&) noexcept = default;
Receiver& Receiver::operator=(Receiver&&) noexcept = default;
Receiver::~Receiver() = default;

Result<Receiver> Receiver::connect(const vulkan::Device& device, std::string name,
                                   milliseconds timeout, const ReceiverOptions& options) {
  GEYSER_TRY_VOID(ipc::validate_channel_name(name));
  auto state = std::make_unique<State>(device);
  state->name = name;
  state->options = options;
  if (options.runtime_dir.empty()) {
    GEYSER_TRY(state->dir, ipc::runtime_dir());
  } else {
    state->dir = options.runtime_dir;
    GEYSER_TRY_VOID(ipc::ensure_private_dir(state->dir));
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto connected = state->try_connect(remaining(deadline));
    if (connected) return Receiver(std::move(state));
    const ErrorCode code = connected.error().code();
    // Only "nobody publishes it (yet)" is worth waiting out; everything else is final.
    if (code != ErrorCode::Disconnected || remaining(deadline).count() == 0) {
      if (code == ErrorCode::Disconnected) {
        return fail(ErrorCode::Disconnected, "no sender published channel '" + name + "' within " +
                                                 std::to_string(timeout.count()) + " ms");
      }
      return tl::unexpected(std::move(connected).error());
    }
    std::this_thread::sleep_for(std::min(remaining(deadline), milliseconds(20)));
  }
}

Result<ReceivedFrame> Receiver::acquire(milliseconds timeout) {
  State& s = *state_;
  const auto deadline = Clock::now() + timeout;
  if (!s.socket && s.last_words) {
    if (auto last = s.take_last_words()) return *last;
  }
  if (!s.socket) {
    // One attempt to find a restarted sender, bounded by the caller's timeout.
    auto connected = s.try_connect(std::min(remaining(deadline), milliseconds(250)));
    if (!connected) {
      return fail(ErrorCode::Disconnected,
                  "channel '" + s.name + "' has no sender (" + connected.error().message() + ")");
    }
    ++s.stats.reconnects;
  }
  while (!s.pending) {
    if (auto pumped = s.pump(remaining(deadline)); !pumped) {
      // A frame presented right before the sender left comes first; Disconnected next time.
      if (pumped.error().code() == ErrorCode::Disconnected && s.last_words) {
        if (auto last = s.take_last_words()) return *last;
      }
      return tl::unexpected(std::move(pumped).error());
    }
    if (!s.pending && remaining(deadline).count() == 0) {
      return fail(ErrorCode::Timeout, "no new frame on channel '" + s.name + "' within " +
                                          std::to_string(timeout.count()) + " ms");
    }
  }
  // A new frame is there: give back the old one, then take the new one.
  GEYSER_TRY_VOID(s.release_held());
  if (!s.socket)
    return fail(ErrorCode::Disconnected, "the sender of channel '" + s.name + "' went away");
  const ipc::FramePresented frame = *s.pending;
  s.pending.reset();
  ImportedSlot& slot = *s.slots[frame.slot];
  if (s.mode == SyncMode::Gpu) {
    // Submitted only now that the sender has submitted its signal: never a wait for a value
    // nobody will signal. Later submissions on the queue are ordered after it.
    const VkSemaphoreSubmitInfo wait =
        *slot.sync->incoming_wait(frame.frame, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT);
    GEYSER_TRY_VOID(detail::submit_semaphores(*s.device, {&wait, 1}, {}));
  } else {
    // The sender drained its queue before announcing: this returns at once.
    GEYSER_TRY_VOID(slot.sync->wait_for_texture(frame.frame, s.options.gpu_timeout));
  }
  ReceivedFrame out;
  out.frame = frame.frame;
  out.generation = frame.generation;
  out.slot = frame.slot;
  out.timestamp_ns = frame.timestamp_ns;
  out.connection = s.connection_id;
  out.texture = slot.texture.get();
  out.keep_alive = s.slots[frame.slot];
  s.held = out;
  ++s.stats.frames_acquired;
  // Frames the sender presented meanwhile that we never got (superseded while pending, or
  // not sent while we held two) count as skipped.
  if (s.last_acquired != 0 && frame.frame > s.last_acquired + 1) {
    s.stats.frames_skipped += frame.frame - s.last_acquired - 1;
  }
  s.last_acquired = frame.frame;
  s.collect_retired();
  return out;
}

Result<void> Receiver::release() {
  return state_->release_held();
}

const ReceivedFrame* Receiver::held() const noexcept {
  return state_->held ? &*state_->held : nullptr;
}

ReceiverState Receiver::state() const noexcept {
  if (!state_->socket) return ReceiverState::Disconnected;
  return state_->have_stream ? ReceiverState::Connected : ReceiverState::Waiting;
}

ReceiverStats Receiver::stats() const noexcept {
  return state_->stats;
}
const TextureDescriptor& Receiver::descriptor() const noexcept {
  return state_->desc;
}
const std::string& Receiver::name() const noexcept {
  return state_->name;
}

}  // namespace geyser::channel
