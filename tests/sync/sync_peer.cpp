// geyser_sync_peer: the consumer process of the cross-process sync tests. It finds a socket
// on fd 3 (kPeerSocketFd), creates its own Device (validation from GEYSER_VALIDATION),
// says Hello with its sync capabilities, then serves commands: Slot (import a texture and
// join its TextureSync), Read (read frames, check every pixel, report), Quit. Exits 0 unless
// the validation layer reported an error or the socket broke; whether reads succeeded is in
// its messages.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "geyser/sync.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "support/peer_main.hpp"
#include "sync/frame_check.hpp"
#include "sync/sync_protocol.hpp"

namespace geyser::test {
namespace {

constexpr int kReceiveTimeoutMs = 120'000;
// Frame check failures reported one by one; the Summary counts them all.
constexpr std::uint64_t kMaxReportedFailures = 10;

SyncPeerMessage error_message(SyncPeerCommand command, const Error& error,
                              const std::string& what) {
  SyncPeerMessage message = make_sync_message(command);
  message.status = static_cast<std::uint32_t>(SyncPeerStatus::Error);
  message.error_code = static_cast<std::uint32_t>(error.code());
  set_text(message, what + ": " + error.to_string());
  return message;
}

// One slot of the ring: the imported texture and the consumer's side of its sync. The sync
// is declared last so that it goes first (it points at the texture).
struct Slot {
  std::unique_ptr<vulkan::VulkanSharedTexture> texture;
  std::optional<vulkan::TextureSync> sync;
};

class Peer {
 public:
  Peer(const UniqueFd& socket, vulkan::Device& device) : socket_(socket), manager_(device) {}

  // Serves one command; false when the peer should stop.
  bool serve(ReceivedSyncMessage received) {
    switch (static_cast<SyncPeerCommand>(received.message.command)) {
      case SyncPeerCommand::Slot: return join(received);
      case SyncPeerCommand::Read: return read(received.message);
      case SyncPeerCommand::Quit: return false;
      default: {
        SyncPeerMessage reply = make_sync_message(SyncPeerCommand::Reply);
        reply.status = static_cast<std::uint32_t>(SyncPeerStatus::Failed);
        set_text(reply,
                 "sync peer: unexpected command " + std::to_string(received.message.command));
        return send(reply);
      }
    }
  }

  void clear() { slots_.clear(); }
  [[nodiscard]] bool all_ok() const { return all_ok_; }

 private:
  bool join(ReceivedSyncMessage& received) {
    const std::uint32_t index = received.message.slot;
    auto handles = take_slot(received.message, std::move(received.fds));
    if (!handles) return send(error_message(SyncPeerCommand::Reply, handles.error(), "sync peer"));
    if (index > 16) {
      return send(error_message(SyncPeerCommand::Reply,
                                Error(ErrorCode::Validation, "slot " + std::to_string(index)),
                                "sync peer"));
    }
    if (slots_.size() <= index) slots_.resize(index + 1);
    auto slot = std::make_unique<Slot>();
    auto texture = manager_.import(handles->first);
    if (!texture) {
      return send(error_message(SyncPeerCommand::Reply, texture.error(), "sync peer import"));
    }
    slot->texture = std::move(texture).value();
    auto sync = vulkan::TextureSync::create_consumer(manager_, *slot->texture, handles->second);
    if (!sync) {
      return send(error_message(SyncPeerCommand::Reply, sync.error(), "sync peer create_consumer"));
    }
    slot->sync.emplace(std::move(sync).value());
    slots_[index] = std::move(slot);
    return send(make_sync_message(SyncPeerCommand::Reply));
  }

  bool read(const SyncPeerMessage& request) {
    const std::uint64_t slot_count = request.slot_count;
    const auto timeout = std::chrono::milliseconds(request.timeout_ms);
    SyncPeerMessage summary = make_sync_message(SyncPeerCommand::Summary);
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t frame = request.first_frame; frame <= request.last_frame; ++frame) {
      Slot* slot = slot_count == 0 || frame % slot_count >= slots_.size()
                       ? nullptr
                       : slots_[frame % slot_count].get();
      if (slot == nullptr) {
        summary.status = static_cast<std::uint32_t>(SyncPeerStatus::Failed);
        set_text(summary, "sync peer: no slot for frame " + std::to_string(frame));
        break;
      }
      const auto read_start = std::chrono::steady_clock::now();
      auto data = slot->sync->read(frame, timeout);
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - read_start);
      if (!data) {
        // The stream is broken: report and stop reading.
        SyncPeerMessage failed = error_message(SyncPeerCommand::FrameFailed, data.error(),
                                               "sync peer read of frame " + std::to_string(frame));
        failed.frame = frame;
        failed.elapsed_ms = static_cast<std::uint64_t>(elapsed.count());
        ++summary.frames_failed;
        if (!send(failed)) return false;
        summary.status = static_cast<std::uint32_t>(SyncPeerStatus::Error);
        break;
      }
      if (auto mismatch = frame_mismatch(slot->texture->descriptor(), *data, frame)) {
        if (summary.frames_failed++ < kMaxReportedFailures) {
          SyncPeerMessage failed = make_sync_message(SyncPeerCommand::FrameFailed);
          failed.status = static_cast<std::uint32_t>(SyncPeerStatus::Failed);
          failed.frame = frame;
          set_text(failed, *mismatch);
          if (!send(failed)) return false;
        }
        summary.status = static_cast<std::uint32_t>(SyncPeerStatus::Failed);
      } else {
        ++summary.frames_ok;
      }
    }
    summary.elapsed_ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count());
    if (!send(summary)) return false;
    if (request.hang_after != 0) {
      // Holding everything, answering nothing: the test kills us. Bounded, in case it
      // does not.
      std::this_thread::sleep_for(std::chrono::milliseconds(kReceiveTimeoutMs));
      std::fprintf(stderr, "geyser_sync_peer: nobody killed me\n");
      std::_Exit(3);
    }
    return true;
  }

  bool send(const SyncPeerMessage& message) {
    auto sent = send_sync_message(socket_, message);
    if (!sent) {
      std::fprintf(stderr, "geyser_sync_peer: %s\n", sent.error().to_string().c_str());
      all_ok_ = false;
      return false;
    }
    return true;
  }

  const UniqueFd& socket_;
  vulkan::VulkanTextureShareManager manager_;
  std::vector<std::unique_ptr<Slot>> slots_;
  bool all_ok_ = true;
};

int run() {
  setenv("GEYSER_VALIDATION", "1", 0);
  // Never outlive the test that spawned us.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 2;
  const std::optional<UniqueFd> socket = peer_socket("geyser_sync_peer");
  if (!socket) return 2;

  std::unique_ptr<vulkan::Device> device;
  {
    auto created = vulkan::Device::create_headless();
    if (!created) {
      SyncPeerMessage hello = error_message(SyncPeerCommand::Hello, created.error(),
                                            "sync peer Device::create_headless");
      (void)send_sync_message(*socket, hello);
      // No device is a reason to skip, not a failure of the peer.
      return created.error().code() == ErrorCode::Unsupported ? 0 : 1;
    }
    device = std::make_unique<vulkan::Device>(std::move(created).value());
  }

  bool ok = true;
  {
    Peer peer(*socket, *device);
    {
      const SyncCapabilities caps = vulkan::VulkanTextureShareManager(*device).sync_capabilities();
      SyncPeerMessage hello = make_sync_message(SyncPeerCommand::Hello);
      std::memcpy(hello.driver_uuid, device->identity().driver_uuid.data(), 16);
      std::memcpy(hello.device_uuid, device->identity().device_uuid.data(), 16);
      hello.timeline_export = caps.timeline_export ? 1 : 0;
      hello.timeline_import = caps.timeline_import ? 1 : 0;
      set_text(hello, device->name());
      if (!send_sync_message(*socket, hello)) return 1;
    }
    ok = serve_until_done("geyser_sync_peer", [&]() -> Result<bool> {
      GEYSER_TRY(auto received, receive_sync_message(*socket, kReceiveTimeoutMs));
      return peer.serve(std::move(received));
    });
    peer.clear();
    ok = ok && peer.all_ok();
  }
  const std::uint64_t validation_errors =
      destroy_and_count_validation_errors(device, "geyser_sync_peer");
  ok = ok && validation_errors == 0;
  SyncPeerMessage bye = make_sync_message(SyncPeerCommand::Reply);
  bye.status = static_cast<std::uint32_t>(ok ? SyncPeerStatus::Ok : SyncPeerStatus::Failed);
  set_text(bye, "sync peer done, " + std::to_string(validation_errors) + " validation error(s)");
  (void)send_sync_message(*socket, bye);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace geyser::test

int main() {
  return geyser::test::run();
}
