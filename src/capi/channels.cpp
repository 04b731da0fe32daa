// geyser_list_channels: channel::list_channels into the caller's array.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "geyser/channel/discovery.hpp"
#include "status.hpp"

using namespace geyser::capi;

namespace {

template <std::size_t N>
void copy_text(const std::string& text, char (&out)[N]) {
  const std::size_t n = std::min(text.size(), N - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

void fill(const geyser::channel::ChannelInfo& channel, geyser_channel_info& out) {
  const std::uint32_t size = out.struct_size;
  out = geyser_channel_info{};
  out.struct_size = size;
  copy_text(channel.name, out.name);
  copy_text(channel.error, out.error);
  out.alive = channel.alive ? 1 : 0;
  if (!channel.alive) return;
  const geyser::ipc::Description& d = channel.description;
  out.width = d.width;
  out.height = d.height;
  out.format = static_cast<geyser_format>(d.format);
  out.fps = d.fps_milli / 1000.0;
  out.frames = d.frame_count;
  out.receivers = d.receiver_count;
  out.host_receivers = d.host_receiver_count;
  out.gpu_sync = d.sync_mode == geyser::SyncMode::Gpu ? 1 : 0;
  out.sender_pid = d.sender_pid;
}

geyser::Result<void> list(const char* runtime_dir, int32_t timeout_ms, geyser_channel_info* out,
                          size_t capacity, size_t* count) {
  GEYSER_TRY_VOID(require(count, "count"));
  if (capacity > 0) GEYSER_TRY_VOID(require(out, "out"));
  const std::filesystem::path dir = runtime_dir != nullptr ? runtime_dir : "";
  GEYSER_TRY(auto channels, geyser::channel::list_channels(
                                dir, std::chrono::milliseconds(std::max<int32_t>(timeout_ms, 0))));
  *count = channels.size();
  if (capacity == 0 || channels.empty()) return {};
  // The caller's entries are out[0].struct_size bytes apart (a newer caller's are larger).
  const std::size_t stride =
      out[0].struct_size == 0 ? sizeof(geyser_channel_info) : out[0].struct_size;
  GEYSER_TRY_VOID(require_size(static_cast<std::uint32_t>(stride), sizeof(geyser_channel_info),
                               "geyser_channel_info"));
  auto* bytes = reinterpret_cast<unsigned char*>(out);
  for (std::size_t i = 0; i < std::min(capacity, channels.size()); ++i) {
    auto* entry = reinterpret_cast<geyser_channel_info*>(bytes + i * stride);
    entry->struct_size = static_cast<std::uint32_t>(stride);
    fill(channels[i], *entry);
  }
  return {};
}

}  // namespace

extern "C" GEYSER_API geyser_status geyser_list_channels(const char* runtime_dir,
                                                         int32_t timeout_ms,
                                                         geyser_channel_info* out, size_t capacity,
                                                         size_t* count) {
  return guard([&] { return list(runtime_dir, timeout_ms, out, capacity, count); });
}
