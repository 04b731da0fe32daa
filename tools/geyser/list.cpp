// `geyser list`: the channels this user publishes, and what each sender says about itself.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "geyser/channel/discovery.hpp"
#include "json.hpp"

namespace geyser::cli {
namespace {

struct ListOptions {
  bool json = false;
};

std::string fps_text(std::uint32_t fps_milli) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", fps_milli / 1000.0);
  return buffer;
}

Json channel_json(const channel::ChannelInfo& info) {
  Json j = Json::object();
  const auto& d = info.description;
  j["name"] = info.name;
  j["state"] = info.alive ? "live" : "stale";
  if (info.alive) {
    j["width"] = d.width;
    j["height"] = d.height;
    j["format"] = std::string(to_string(d.format));
    j["color_space"] = std::string(to_string(d.color.space));
    j["alpha"] = std::string(to_string(d.color.alpha));
    j["orientation"] = std::string(to_string(d.color.orientation));
    j["sync_mode"] = std::string(to_string(d.sync_mode));
    j["fps"] = static_cast<double>(d.fps_milli) / 1000.0;
    j["frames"] = d.frame_count;
    j["receivers"] = d.receiver_count;
    j["host_receivers"] = d.host_receiver_count;
    // receiver_count counts every receiver, host_receiver_count those taking host frames.
    j["device_receivers"] =
        d.receiver_count > d.host_receiver_count ? d.receiver_count - d.host_receiver_count : 0;
    j["sender_pid"] = d.sender_pid;
    j["protocol"] = d.protocol_version;
    j["error"] = nullptr;
  } else {
    for (const char* key :
         {"width", "height", "format", "color_space", "alpha", "orientation", "sync_mode", "fps",
          "frames", "receivers", "host_receivers", "device_receivers", "sender_pid", "protocol"}) {
      j[key] = nullptr;
    }
    j["error"] = info.error;
  }
  return j;
}

void print_table(std::ostream& out, const std::vector<channel::ChannelInfo>& channels) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAME", "SIZE", "FORMAT", "COLOR", "SYNC", "FPS", "FRAMES", "RECEIVERS", "HOST",
                  "PID", "PROTO"});
  for (const auto& info : channels) {
    const auto& d = info.description;
    if (info.alive) {
      rows.push_back({info.name, std::to_string(d.width) + "x" + std::to_string(d.height),
                      std::string(to_string(d.format)), color_text(d.color),
                      std::string(to_string(d.sync_mode)), fps_text(d.fps_milli),
                      std::to_string(d.frame_count), std::to_string(d.receiver_count),
                      std::to_string(d.host_receiver_count), std::to_string(d.sender_pid),
                      std::to_string(d.protocol_version)});
    } else {
      rows.push_back({info.name, "stale"});
    }
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      out << row[i];
      if (!last) out << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    if (r > 0 && !channels[r - 1].alive) out << " (" << channels[r - 1].error << ')';
    out << '\n';
  }
}

int run_list(const ListOptions& options) {
  auto dir = open_runtime_dir("list");
  if (!dir) return kExitRuntimeError;
  auto channels = channel::list_channels(*dir, std::chrono::milliseconds(500));
  if (!channels) {
    std::cerr << "geyser list: cannot list the channels in " << dir->string() << ": "
              << channels.error().to_string() << '\n';
    return kExitRuntimeError;
  }
  if (options.json) {
    Json root = Json::object();
    root["runtime_dir"] = dir->string();
    Json list = Json::array();
    for (const auto& info : *channels) list.push_back(channel_json(info));
    root["channels"] = std::move(list);
    write_json(std::cout, root);
  } else if (channels->empty()) {
    std::cout << "no channels in " << dir->string() << '\n';
  } else {
    print_table(std::cout, *channels);
  }
  return kExitOk;
}

}  // namespace

void register_list(CLI::App& app, Action& action) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* list =
      app.add_subcommand("list",
                         "List this user's channels: size, format, colour, sync mode, "
                         "fps, frames, receivers (and how many take host frames), protocol");
  list->add_flag("--json", options->json,
                 "Print one JSON document instead of text (fields: docs/cli.md)");
  list->footer(
      "A channel whose sender does not answer (it crashed, or is stuck) is shown as stale.\n"
      "Exit codes: 0 ok (also when there is no channel), 1 the runtime directory cannot be "
      "used, 2 usage error.");
  list->callback([options, &action] { action = [options] { return run_list(*options); }; });
}

}  // namespace geyser::cli
