// Discovery: ask every channel's sender to describe itself.
#include "geyser/channel/discovery.hpp"

#include "geyser/ipc/message_io.hpp"

namespace geyser::channel {
namespace {

Result<ipc::Description> describe(ipc::Transport& transport, const std::string& name,
                                  std::chrono::milliseconds timeout,
                                  const ipc::PeerPolicy& policy) {
  GEYSER_TRY(auto connection, transport.connect(name, timeout));
  // What a sender of another user says is not to be shown as this user's channel.
  if (auto checked = ipc::check_peer(connection->peer(), policy); !checked) {
    return fail(ErrorCode::PermissionDenied,
                "channel '" + name + "': not asking its sender: " + checked.error().message());
  }
  GEYSER_TRY_VOID(ipc::send(*connection, ipc::Message(ipc::DescribeRequest{}), timeout));
  GEYSER_TRY(ipc::Message reply, ipc::receive(*connection, timeout));
  if (auto* description = std::get_if<ipc::Description>(&reply)) return *description;
  return fail(ErrorCode::Protocol, "the sender answered DescribeRequest with " +
                                       std::string(ipc::to_string(ipc::message_type(reply))));
}

}  // namespace

Result<std::vector<ChannelInfo>> list_channels(ipc::Transport& transport,
                                               std::chrono::milliseconds timeout,
                                               const ipc::PeerPolicy& policy) {
  GEYSER_TRY(auto names, transport.list());
  std::vector<ChannelInfo> out;
  for (const std::string& name : names) {
    ChannelInfo info;
    info.name = name;
    if (auto described = describe(transport, name, timeout, policy)) {
      info.alive = true;
      info.description = *described;
    } else {
      info.error = described.error().to_string();
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<ChannelInfo>> list_channels(const std::filesystem::path& runtime_dir,
                                               std::chrono::milliseconds timeout,
                                               const ipc::PeerPolicy& policy) {
  GEYSER_TRY(auto transport, ipc::default_transport(runtime_dir));
  return list_channels(*transport, timeout, policy);
}

}  // namespace geyser::channel
