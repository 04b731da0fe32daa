// Discovery: ask every channel's sender to describe itself.
#include "geyser/channel/discovery.hpp"

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"

namespace geyser::channel {

Result<std::vector<ChannelInfo>> list_channels(const std::filesystem::path& runtime_dir,
                                               std::chrono::milliseconds timeout) {
  std::filesystem::path dir = runtime_dir;
  if (dir.empty()) {
    GEYSER_TRY(dir, ipc::runtime_dir());
  } else {
    GEYSER_TRY_VOID(ipc::ensure_private_dir(dir));
  }
  GEYSER_TRY(auto names, ipc::list_channels(dir));
  std::vector<ChannelInfo> out;
  for (const std::string& name : names) {
    ChannelInfo info;
    info.name = name;
    auto described = [&]() -> Result<ipc::Description> {
      GEYSER_TRY(UniqueFd socket, ipc::connect_channel(dir, name, timeout));
      GEYSER_TRY_VOID(ipc::send(socket, ipc::Message(ipc::DescribeRequest{}), timeout));
      GEYSER_TRY(ipc::Message reply, ipc::receive(socket, timeout));
      if (auto* description = std::get_if<ipc::Description>(&reply)) return *description;
      return fail(ErrorCode::Protocol, "the sender answered DescribeRequest with " +
                                           std::string(ipc::to_string(ipc::message_type(reply))));
    }();
    if (described) {
      info.alive = true;
      info.description = *described;
    } else {
      info.error = described.error().to_string();
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace geyser::channel
