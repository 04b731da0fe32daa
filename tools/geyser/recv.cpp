// `geyser recv NAME`: receives a channel, checks its frames, saves the newest as a PNG.
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "ack_pipe.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "device_spec.hpp"
#include "ends.hpp"
#include "geyser/channel/discovery.hpp"
#include "geyser/ipc/wire.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"
#include "geyser/transfer.hpp"
#include "json.hpp"
#include "png.hpp"

namespace geyser::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxMismatchReports = 10;

struct RecvOptions {
  std::string name;
  std::string api = default_api_name();
  std::string device;  // --device SPEC; empty: the default
  std::string transfer = "auto";
  std::uint64_t frames = 0;
  bool verify = false;
  std::string png;
  double timeout_s = 10.0;
  bool json = false;
  bool show_metadata = false;
  // Internal, for `geyser demo`: progress lines on stdout, acknowledgements on a pipe.
  bool progress = false;
  int ack_fd = -1;
};

/// What the receiver saw, for the summary and the progress lines.
struct Tally {
  std::uint64_t frames = 0;
  std::uint64_t bad = 0;
  std::uint64_t skipped = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t last_frame = 0;
  std::string sync_mode = "cpu";
  std::string transfer = "device";
  std::string tiling = "optimal";
  std::uint32_t row_pitch = 0;
  TextureDescriptor desc;
  ColorDescription color;
  bool have_desc = false;
  std::vector<std::uint8_t> metadata;  // the last frame's
  LatencyStats latency;
  std::deque<Clock::time_point> recent;  // acquire times over the last second or so
  Clock::time_point first{};
  Clock::time_point last{};
  bool timed_out = false;
  bool interrupted = false;

  double fps() const {
    if (recent.size() < 2) return 0.0;
    const double seconds = std::chrono::duration<double>(recent.back() - recent.front()).count();
    return seconds > 0 ? static_cast<double>(recent.size() - 1) / seconds : 0.0;
  }
  double average_fps() const {
    if (frames < 2) return 0.0;
    const double seconds = std::chrono::duration<double>(last - first).count();
    return seconds > 0 ? static_cast<double>(frames - 1) / seconds : 0.0;
  }
};

// The code point of the UTF-8 sequence at bytes[at], and its length; length 0 when it is
// not valid UTF-8 (truncated, overlong, a surrogate, beyond U+10FFFF).
std::pair<std::uint32_t, std::size_t> decode_utf8(std::span<const std::uint8_t> bytes,
                                                  std::size_t at) {
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  const std::uint8_t lead = bytes[at];
  const std::size_t length = lead < 0x80             ? 1
                             : (lead & 0xE0) == 0xC0 ? 2
                             : (lead & 0xF0) == 0xE0 ? 3
                             : (lead & 0xF8) == 0xF0 ? 4
                                                     : 0;
  if (length == 0 || at + length > bytes.size()) return {0, 0};
  std::uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((bytes[at + i] & 0xC0) != 0x80) return {0, 0};
    code = (code << 6) | (bytes[at + i] & 0x3F);
  }
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return {0, 0};
  }
  return {code, length};
}

// Valid UTF-8 without control characters (C0, DEL, C1): shown as text, else as hex.
bool printable_utf8(std::span<const std::uint8_t> bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    const auto [code, length] = decode_utf8(bytes, at);
    if (length == 0 || code < 0x20 || (code >= 0x7F && code <= 0x9F)) return false;
    at += length;
  }
  return true;
}

std::string hex_text(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out;
}

// A frame's metadata as recv shows it: the text, or its bytes in hex when not printable.
struct MetadataText {
  std::string text;
  bool hex = false;
};

MetadataText metadata_text(std::span<const std::uint8_t> bytes) {
  if (printable_utf8(bytes)) return {std::string(bytes.begin(), bytes.end()), false};
  return {hex_text(bytes), true};
}

// --show-metadata: "frame N metadata: TEXT", "frame N metadata (hex): 00ff", or
// "frame N no metadata".
void print_metadata(std::uint64_t frame, std::span<const std::uint8_t> bytes) {
  const auto number = static_cast<unsigned long long>(frame);
  if (bytes.empty()) {
    std::printf("frame %llu no metadata\n", number);
    return;
  }
  const MetadataText shown = metadata_text(bytes);
  std::printf("frame %llu metadata%s: %s\n", number, shown.hex ? " (hex)" : "", shown.text.c_str());
}

void add_color_json(Json& j, const Tally& tally) {
  if (!tally.have_desc) {
    for (const char* key : {"color_space", "alpha", "orientation", "protocol"}) j[key] = nullptr;
    return;
  }
  j["color_space"] = std::string(to_string(tally.color.space));
  j["alpha"] = std::string(to_string(tally.color.alpha));
  j["orientation"] = std::string(to_string(tally.color.orientation));
  // A receiver connects only to a sender of its own protocol version.
  j["protocol"] = ipc::kProtocolVersion;
}

void add_metadata_json(Json& j, const Tally& tally) {
  if (tally.frames == 0) {
    j["metadata"] = nullptr;
    j["metadata_encoding"] = nullptr;
    return;
  }
  const MetadataText shown = metadata_text(tally.metadata);
  j["metadata"] = shown.text;
  j["metadata_encoding"] = shown.hex ? "hex" : "utf-8";
}

double round2(double value) {
  return static_cast<double>(static_cast<long long>(value * 100.0 + 0.5)) / 100.0;
}

Json summary_json(const RecvOptions& options, const Tally& tally, const std::string& device,
                  const std::optional<std::string>& png) {
  Json j = Json::object();
  j["channel"] = options.name;
  j["frames"] = tally.frames;
  j["verified"] = options.verify;
  j["bad"] = tally.bad;
  j["skipped"] = tally.skipped;
  j["reconnects"] = tally.reconnects;
  j["sync_mode"] = tally.sync_mode;
  j["transfer"] = tally.transfer;
  j["tiling"] = tally.tiling;
  j["row_pitch"] = tally.row_pitch;
  j["latency_p50_us"] = round2(tally.latency.percentile(50));
  j["latency_p99_us"] = round2(tally.latency.percentile(99));
  j["fps"] = round2(tally.average_fps());
  j["last_frame"] = tally.last_frame;
  add_metadata_json(j, tally);
  if (tally.have_desc) {
    j["width"] = tally.desc.width;
    j["height"] = tally.desc.height;
    j["format"] = std::string(to_string(tally.desc.format));
  } else {
    j["width"] = nullptr;
    j["height"] = nullptr;
    j["format"] = nullptr;
  }
  add_color_json(j, tally);
  j["api"] = options.api;
  j["device"] = device;
  j["png"] = png ? Json(*png) : Json(nullptr);
  j["timed_out"] = tally.timed_out;
  j["interrupted"] = tally.interrupted;
  return j;
}

void print_progress(const Tally& tally, const std::string& device) {
  Json j = Json::object();
  j["frames"] = tally.frames;
  j["bad"] = tally.bad;
  j["skipped"] = tally.skipped;
  j["fps"] = round2(tally.fps());
  j["latency_p50_us"] = round2(tally.latency.percentile(50));
  j["latency_p99_us"] = round2(tally.latency.percentile(99));
  j["sync_mode"] = tally.sync_mode;
  j["transfer"] = tally.transfer;
  j["device"] = device;
  std::printf("progress %s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

// Receiver::connect in slices, so that Ctrl-C is noticed while waiting for a sender.
Result<void> connect(RecvEnd& end, const RecvOptions& options, const std::filesystem::path& dir,
                     milliseconds timeout) {
  channel::ReceiverOptions receiver_options;
  receiver_options.runtime_dir = dir;
  receiver_options.transfer = *parse_transfer_request(options.transfer);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto receiver =
        end.connect(options.name, std::max(milliseconds(0), std::min(left, milliseconds(250))),
                    receiver_options);
    // Disconnected: nobody publishes the name yet. Timeout: a sender published it but did
    // not answer within this slice (it answers between frames, and its first frame can be
    // slow to come on a GPU starting up). Both are worth waiting out.
    if (receiver || (receiver.error().code() != ErrorCode::Disconnected &&
                     receiver.error().code() != ErrorCode::Timeout)) {
      return receiver;
    }
    if (stop_requested()) return receiver;
    if (Clock::now() >= deadline) {
      // The last slice's error names the slice: say what happened over the whole wait.
      const std::string waited = std::to_string(timeout.count()) + " ms";
      if (receiver.error().code() == ErrorCode::Timeout) {
        return fail(ErrorCode::Timeout, "the sender of channel '" + options.name +
                                            "' answered but did not describe its stream within " +
                                            waited);
      }
      return fail(ErrorCode::Disconnected,
                  "no sender published channel '" + options.name + "' within " + waited);
    }
  }
}

std::string seconds_text(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

// The "unknown channel" message: what is published instead.
void report_unknown_channel(const RecvOptions& options, const std::filesystem::path& dir) {
  std::cerr << "geyser recv: unknown channel '" << options.name << "': no sender published it"
            << " within " << seconds_text(options.timeout_s) << " (runtime directory "
            << dir.string() << ")\n";
  auto channels = channel::list_channels(dir, milliseconds(300));
  if (!channels) {
    std::cerr << "  (cannot list the channels there: " << channels.error().to_string() << ")\n";
    return;
  }
  if (channels->empty()) {
    std::cerr << "  no channel is published there; start one with `geyser send " << options.name
              << "` (same user, same GEYSER_RUNTIME_DIR)\n";
    return;
  }
  std::cerr << "  channels published there:";
  bool first = true;
  for (const auto& info : *channels) {
    std::cerr << (first ? " " : ", ") << info.name;
    first = false;
    if (info.alive) {
      std::cerr << " (" << info.description.width << 'x' << info.description.height << ' '
                << to_string(info.description.format) << ')';
    } else {
      std::cerr << " (stale)";
    }
  }
  std::cerr << "\n  (`geyser list` shows them)\n";
}

int run_recv(const RecvOptions& options) {
  install_stop_signals();
  auto dir = open_runtime_dir("recv");
  if (!dir) return kExitRuntimeError;
  auto end = open_recv_end(*parse_api(options.api), "recv", device_selector(options.device));
  if (!end) return kExitRuntimeError;
  const std::string device_name = end->device_name();
  const auto timeout =
      std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(options.timeout_s));
  const bool human = !options.json && !options.progress;

  if (auto connected = connect(*end, options, *dir, timeout); !connected) {
    if (stop_requested()) return kExitRuntimeError;
    if (connected.error().code() == ErrorCode::Disconnected) {
      report_unknown_channel(options, *dir);
    } else {
      std::cerr << "geyser recv: cannot connect to channel '" << options.name
                << "': " << connected.error().to_string() << '\n';
    }
    return kExitRuntimeError;
  }
  channel::ReceiverCore* receiver = &end->core();
  Tally tally;
  tally.desc = receiver->descriptor();
  tally.color = receiver->color();
  tally.have_desc = true;
  tally.sync_mode = std::string(to_string(receiver->stats().sync_mode));
  tally.transfer = std::string(to_string(receiver->stats().transfer));
  tally.tiling = std::string(to_string(receiver->stats().tiling));
  tally.row_pitch = receiver->stats().row_pitch;
  if (!options.png.empty() && !png_supported(tally.desc.format)) {
    std::cerr << "geyser recv: --png: channel '" << options.name << "' is "
              << to_string(tally.desc.format)
              << "; PNG output needs Rgba8Unorm, Rgba8Srgb, Bgra8Unorm or Bgra8Srgb\n";
    return kExitRuntimeError;
  }
  if (human) {
    std::printf(
        "geyser recv: connected to '%s' (%s %s, color %s, sync %s, transfer %s, protocol %u) "
        "on %s\n",
        options.name.c_str(), describe(tally.desc).c_str(), tally.tiling.c_str(),
        color_text(tally.color).c_str(), tally.sync_mode.c_str(), tally.transfer.c_str(),
        static_cast<unsigned>(ipc::kProtocolVersion), device_name.c_str());
    std::fflush(stdout);
  }

  StatusLine status(stdout);
  std::vector<std::uint8_t> last_pixels;  // the newest frame read back (--verify)
  std::uint64_t connection = 0;
  std::uint64_t previous = 0;
  bool failed = false;
  bool waiting_reported = false;
  int mismatches_reported = 0;
  auto last_event = Clock::now();  // the last frame or connection
  auto last_progress = Clock::now();

  while (!stop_requested() && (options.frames == 0 || tally.frames < options.frames)) {
    const auto since = Clock::now() - last_event;
    if (since >= timeout) {
      tally.timed_out = true;
      break;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(timeout - since);
    auto frame = receiver->acquire(std::max(milliseconds(1), std::min(left, milliseconds(250))));
    if (!frame) {
      const ErrorCode code = frame.error().code();
      if (code == ErrorCode::Timeout) continue;
      if (code == ErrorCode::Disconnected) {
        if (!waiting_reported) {
          status.finish();
          std::fprintf(stderr,
                       "geyser recv: the sender of '%s' went away; waiting up to %s for it to "
                       "come back\n",
                       options.name.c_str(), seconds_text(options.timeout_s).c_str());
          waiting_reported = true;
        }
        std::this_thread::sleep_for(milliseconds(50));  // no sender: connect fails at once
        continue;
      }
      status.finish();
      std::cerr << "geyser recv: " << frame.error().to_string() << '\n';
      failed = true;
      break;
    }
    const std::uint64_t now_ns = monotonic_ns();
    const auto now = Clock::now();
    last_event = now;
    waiting_reported = false;
    tally.latency.add(now_ns > frame->timestamp_ns
                          ? static_cast<double>(now_ns - frame->timestamp_ns) / 1000.0
                          : 0.0);
    if (frame->connection != connection) {
      if (connection != 0) {
        ++tally.reconnects;
        status.finish();
        std::fprintf(stderr, "geyser recv: reconnected to '%s'\n", options.name.c_str());
      }
      connection = frame->connection;
    } else if (frame->frame > previous + 1) {
      tally.skipped += frame->frame - previous - 1;  // presented while we were busy
    }
    previous = frame->frame;
    ++tally.frames;
    tally.last_frame = frame->frame;
    if (tally.frames == 1) tally.first = now;
    tally.last = now;
    tally.recent.push_back(now);
    while (tally.recent.size() > 2 && now - tally.recent.front() > std::chrono::seconds(1)) {
      tally.recent.pop_front();
    }
    tally.desc = receiver->descriptor();
    tally.color = receiver->color();
    tally.metadata = frame->metadata;
    if (options.show_metadata) {
      status.finish();
      print_metadata(frame->frame, frame->metadata);
    }
    tally.sync_mode = std::string(to_string(receiver->stats().sync_mode));
    tally.transfer = std::string(to_string(receiver->stats().transfer));
    tally.tiling = std::string(to_string(receiver->stats().tiling));
    tally.row_pitch = receiver->stats().row_pitch;

    if (options.verify) {
      // Checked where the frame lies when the API can (CUDA: a kernel counts the texels
      // that differ), else read back and checked here; read back for --png either way.
      std::optional<std::string> mismatch;
      bool checked = false;
      if (auto on_device = end->check_pattern_on_device(frame->frame)) {
        if (!*on_device) {
          status.finish();
          std::cerr << "geyser recv: checking frame " << frame->frame << ": "
                    << on_device->error().to_string() << '\n';
          failed = true;
          break;
        }
        checked = true;
        if (**on_device != 0) mismatch = std::to_string(**on_device) + " texels differ";
      }
      if (!checked || !options.png.empty()) {
        auto pixels = end->read_held();
        if (!pixels) {
          status.finish();
          std::cerr << "geyser recv: readback of frame " << frame->frame << ": "
                    << pixels.error().to_string() << '\n';
          failed = true;
          break;
        }
        const auto& d = tally.desc;
        if (!checked) {
          if (auto found = check_test_pattern(*pixels, d.width, d.height,
                                              format_info(d.format).texel_size, frame->frame)) {
            mismatch = found->to_string();
          }
        }
        if (!options.png.empty()) last_pixels = std::move(*pixels);
      }
      if (mismatch) {
        ++tally.bad;
        if (mismatches_reported++ < kMaxMismatchReports) {
          status.finish();
          std::fprintf(stderr, "geyser recv: frame %llu does not match the test pattern: %s\n",
                       static_cast<unsigned long long>(frame->frame), mismatch->c_str());
        }
      }
      // Done reading: give the slot back now rather than at the next acquire.
      if (auto released = receiver->release(); !released) {
        std::cerr << "geyser recv: " << released.error().to_string() << '\n';
      }
    }
    write_ack(options.ack_fd, frame->frame);

    if (options.progress && now - last_progress >= milliseconds(200)) {
      print_progress(tally, device_name);
      last_progress = now;
    } else if (human && !options.show_metadata) {  // with it, its lines show the progress
      char line[200];
      std::snprintf(line, sizeof line, "%llu frames, %.1f fps, latency p50 %s p99 %s%s",
                    static_cast<unsigned long long>(tally.frames), tally.fps(),
                    format_latency(tally.latency.percentile(50)).c_str(),
                    format_latency(tally.latency.percentile(99)).c_str(),
                    options.verify ? (", " + std::to_string(tally.bad) + " bad").c_str() : "");
      status.update(line);
    }
  }
  tally.interrupted = stop_requested();
  status.finish();

  // The newest frame as a PNG.
  std::optional<std::string> png_written;
  bool png_failed = false;
  if (!options.png.empty()) {
    if (last_pixels.empty() && receiver->held() != nullptr) {
      auto pixels = end->read_held();
      if (pixels) {
        last_pixels = std::move(*pixels);
      } else {
        std::cerr << "geyser recv: readback: " << pixels.error().to_string() << '\n';
      }
    }
    if (last_pixels.empty()) {
      std::cerr << "geyser recv: --png: no frame to write\n";
      png_failed = true;
    } else if (auto written = write_png(options.png, last_pixels, tally.desc.width,
                                        tally.desc.height, tally.desc.format);
               !written) {
      std::cerr << "geyser recv: --png: " << written.error().to_string() << '\n';
      png_failed = true;
    } else {
      png_written = options.png;
    }
  }

  const bool incomplete = options.frames != 0 && tally.frames < options.frames;
  if (tally.timed_out && (incomplete || tally.frames == 0)) {
    std::cerr << "geyser recv: no frame on '" << options.name << "' for "
              << seconds_text(options.timeout_s) << " after " << tally.frames << " frames\n";
  }
  if (options.json) {
    write_json(std::cout, summary_json(options, tally, device_name, png_written));
  } else if (options.progress) {
    std::printf("summary %s\n", summary_json(options, tally, device_name, png_written)
                                    .dump(-1, ' ', false, Json::error_handler_t::replace)
                                    .c_str());
  } else {
    std::printf(
        "geyser recv: %llu frames from '%s' (%s, color %s, sync %s, transfer %s), %llu skipped",
        static_cast<unsigned long long>(tally.frames), options.name.c_str(),
        describe(tally.desc).c_str(), color_text(tally.color).c_str(), tally.sync_mode.c_str(),
        tally.transfer.c_str(), static_cast<unsigned long long>(tally.skipped));
    if (options.verify) {
      std::printf(", %llu bad", static_cast<unsigned long long>(tally.bad));
    }
    std::printf("; latency p50 %s, p99 %s; last frame %llu\n",
                format_latency(tally.latency.percentile(50)).c_str(),
                format_latency(tally.latency.percentile(99)).c_str(),
                static_cast<unsigned long long>(tally.last_frame));
    if (png_written) {
      std::printf("geyser recv: wrote frame %llu to %s\n",
                  static_cast<unsigned long long>(tally.last_frame), png_written->c_str());
    }
  }
  std::fflush(stdout);
  // With --frames 0, a sender that stopped for good (timeout) ends a normal run.
  const bool ok = !failed && !png_failed && tally.bad == 0 && tally.frames > 0 &&
                  (!incomplete || tally.interrupted);
  return ok ? kExitOk : kExitRuntimeError;
}

}  // namespace

void register_recv(CLI::App& app, Action& action) {
  auto options = std::make_shared<RecvOptions>();
  CLI::App* recv =
      app.add_subcommand("recv", "Receive a channel: check its frames, save the newest as a PNG");
  recv->add_option("name", options->name, "Channel name")
      ->required()
      ->check(channel_name_validator());
  recv->add_option("--api", options->api, "The API that imports and reads the frames")
      ->capture_default_str()
      ->check(CLI::IsMember(api_names()));
  add_device_option(*recv, options->device,
                    "the receiver's (not with --api opengl or host); default: the sender's GPU "
                    "for cuda, else the best-ranked device");
  recv->add_option("--transfer", options->transfer,
                   "How the frames come: auto (zero-copy on the sender's device, else host "
                   "frames), device (zero-copy only), host (copies in shared host memory); "
                   "--api host takes auto or host")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "device", "host"}));
  recv->add_option("--frames", options->frames,
                   "Stop after this many frames; 0: until Ctrl-C or --timeout")
      ->capture_default_str();
  recv->add_flag("--verify", options->verify,
                 "Check every frame against the test pattern; exit 1 on a mismatch");
  recv->add_option("--png", options->png,
                   "Write the newest frame received to this PNG file (8-bit RGBA/BGRA formats)");
  recv->add_option("--timeout", options->timeout_s,
                   "Seconds to wait for a sender, for the next frame, and for a sender to come "
                   "back after it went away")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  CLI::Option* json =
      recv->add_flag("--json", options->json,
                     "Print a JSON summary on stdout instead of text (fields: docs/cli.md)");
  recv->add_flag("--show-metadata", options->show_metadata,
                 "Print each frame's metadata on stdout (text, or hex when not printable)")
      ->excludes(json);
  recv->add_flag("--progress", options->progress, "Internal (geyser demo): progress lines")
      ->group("");
  recv->add_option("--ack-fd", options->ack_fd,
                   "Internal (geyser demo): write each finished frame number to this fd")
      ->group("");
  recv->footer(
      "Exit codes: 0 the frames arrived and (with --verify) matched, 1 unknown channel, "
      "timeout, a bad frame or another runtime error, 2 usage error.");
  recv->callback([options, &action] {
    if (options->api == "host" && options->transfer == "device") {
      throw CLI::ValidationError("--transfer",
                                 "device: --api host takes host frames only (auto or host); "
                                 "zero-copy needs a GPU API (--api vulkan, ...)");
    }
    action = [options] { return run_recv(*options); };
  });
}

}  // namespace geyser::cli
