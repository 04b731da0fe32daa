// geyser_test_peer: the other process of the cross-process tests. It finds a socket on fd 3
// (kPeerSocketFd), creates its own Device, says Hello, then serves commands until Quit or
// EOF. Exits 0 unless the validation layer reported an error or the socket broke; whether a
// command succeeded is in its reply.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/peer_main.hpp"
#include "vulkan/peer_protocol.hpp"

namespace geyser::test {
namespace {

constexpr int kReceiveTimeoutMs = 120'000;

// The reply for a failed Geyser call.
PeerMessage error_reply(const Error& error, const std::string& what) {
  PeerMessage reply = make_message(PeerCommand::Reply);
  reply.status = static_cast<std::uint32_t>(PeerStatus::Error);
  reply.error_code = static_cast<std::uint32_t>(error.code());
  set_text(reply, what + ": " + error.to_string());
  return reply;
}

PeerMessage failed_reply(const std::string& what) {
  PeerMessage reply = make_message(PeerCommand::Reply);
  reply.status = static_cast<std::uint32_t>(PeerStatus::Failed);
  set_text(reply, what);
  return reply;
}

// Writes frame `frame` of the test pattern into `texture`.
Result<void> write_frame(vulkan::VulkanSharedTexture& texture, std::uint64_t frame) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(desc.width) * desc.height * texel);
  fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
  return vulkan::upload(texture, bytes);
}

// Nothing on success; a reply saying what differs otherwise.
std::optional<PeerMessage> check_frame(vulkan::VulkanSharedTexture& texture, std::uint64_t frame) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  auto data = vulkan::readback(texture);
  if (!data) return error_reply(data.error(), "peer readback");
  if (data->size() != static_cast<std::size_t>(desc.width) * desc.height * texel) {
    return failed_reply("peer readback returned " + std::to_string(data->size()) + " bytes");
  }
  if (auto mismatch = check_test_pattern(*data, desc.width, desc.height, texel, frame)) {
    return failed_reply("peer: " + describe(desc) + " does not hold frame " +
                        std::to_string(frame) + ": " + mismatch->to_string());
  }
  return std::nullopt;
}

class Peer {
 public:
  Peer(const UniqueFd& socket, vulkan::Device& device) : socket_(socket), manager_(device) {}

  // Serves one command; false when the peer should stop.
  bool serve(ReceivedMessage received) {
    const auto command = static_cast<PeerCommand>(received.message.command);
    switch (command) {
      case PeerCommand::ImportCheckWrite: return reply(import_check_write(received));
      case PeerCommand::CreateExport: return create_export(received.message);
      case PeerCommand::CheckExported: return reply(check_exported(received.message));
      case PeerCommand::Quit: return false;
      default:
        return reply(
            failed_reply("peer: unexpected command " + std::to_string(received.message.command)));
    }
  }

  // Destroys every texture the peer holds.
  void clear() { exported_.reset(); }
  // False if a reply could not be sent. Failed commands are the test's business: it sees
  // them in the replies, and some tests expect them.
  [[nodiscard]] bool all_ok() const { return all_ok_; }

 private:
  PeerMessage import_check_write(ReceivedMessage& received) {
    if (received.message.has_handle == 0)
      return failed_reply("peer: ImportCheckWrite without a handle");
    TextureShareHandle handle = take_handle(received.message, std::move(received.fd));
    auto texture = manager_.import(handle);
    manager_.release_texture_handle(std::move(handle));
    if (!texture) return error_reply(texture.error(), "peer import");
    if (auto failed = check_frame(**texture, received.message.frame_check)) return *failed;
    if (auto written = write_frame(**texture, received.message.frame_write); !written) {
      return error_reply(written.error(), "peer upload");
    }
    return make_message(PeerCommand::Reply);
  }

  bool create_export(const PeerMessage& message) {
    exported_.reset();
    auto texture = manager_.create(take_descriptor(message));
    if (!texture) return reply(error_reply(texture.error(), "peer create"));
    if (auto written = write_frame(**texture, message.frame_write); !written) {
      return reply(error_reply(written.error(), "peer upload"));
    }
    auto handle = manager_.export_texture(**texture);
    if (!handle) return reply(error_reply(handle.error(), "peer export"));
    exported_ = std::move(*texture);
    PeerMessage answer = make_message(PeerCommand::Reply);
    put_handle(answer, *handle);
    return reply(answer, handle->os_handle.get());
  }

  PeerMessage check_exported(const PeerMessage& message) {
    if (!exported_) return failed_reply("peer: CheckExported before CreateExport");
    if (auto failed = check_frame(*exported_, message.frame_check)) return *failed;
    return make_message(PeerCommand::Reply);
  }

  bool reply(const PeerMessage& message, int fd = -1) {
    auto sent = send_message(socket_, message, fd);
    if (!sent) {
      std::fprintf(stderr, "geyser_test_peer: %s\n", sent.error().to_string().c_str());
      all_ok_ = false;
      return false;
    }
    return true;
  }

  const UniqueFd& socket_;
  vulkan::VulkanTextureShareManager manager_;
  std::unique_ptr<vulkan::VulkanSharedTexture> exported_;
  bool all_ok_ = true;
};

int run() {
  setenv("GEYSER_VALIDATION", "1", 0);
  const std::optional<UniqueFd> socket = peer_socket("geyser_test_peer");
  if (!socket) return 2;

  std::unique_ptr<vulkan::Device> device;
  {
    auto created = vulkan::Device::create_headless();
    if (!created) {
      PeerMessage hello = error_reply(created.error(), "peer Device::create_headless");
      hello.command = static_cast<std::uint16_t>(PeerCommand::Hello);
      (void)send_message(*socket, hello);
      // No device is a reason to skip, not a failure of the peer.
      return created.error().code() == ErrorCode::Unsupported ? 0 : 1;
    }
    device = std::make_unique<vulkan::Device>(std::move(created).value());
  }
  {
    PeerMessage hello = make_message(PeerCommand::Hello);
    std::memcpy(hello.driver_uuid, device->identity().driver_uuid.data(), 16);
    std::memcpy(hello.device_uuid, device->identity().device_uuid.data(), 16);
    set_text(hello, device->name());
    if (!send_message(*socket, hello)) return 1;
  }

  bool ok = true;
  {
    Peer peer(*socket, *device);
    ok = serve_until_done("geyser_test_peer", [&]() -> Result<bool> {
      GEYSER_TRY(auto received, receive_message(*socket, kReceiveTimeoutMs));
      return peer.serve(std::move(received));
    });
    peer.clear();
    ok = ok && peer.all_ok();
  }
  const std::uint64_t validation_errors =
      destroy_and_count_validation_errors(device, "geyser_test_peer");
  ok = ok && validation_errors == 0;
  PeerMessage bye = make_message(PeerCommand::Reply);
  bye.status = static_cast<std::uint32_t>(ok ? PeerStatus::Ok : PeerStatus::Failed);
  set_text(bye, "peer done, " + std::to_string(validation_errors) + " validation error(s)");
  (void)send_message(*socket, bye);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace geyser::test

int main() {
  return geyser::test::run();
}
