// `geyser send NAME`: publishes a channel and streams the animated test pattern into it.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "ack_pipe.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "device_spec.hpp"
#include "ends.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/texture.hpp"

namespace geyser::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct SendOptions {
  std::string name;
  std::string api = default_api_name();
  std::string device;  // --device SPEC; empty: the default
  std::string size = "1280x720";
  std::string format = "Rgba8Unorm";
  double fps = 60.0;
  std::uint64_t frames = 0;
  std::uint32_t slots = 3;
  std::string tiling = "optimal";
  std::string color_space = "srgb";
  std::string alpha = "straight";
  std::string orientation = "top-down";
  std::string metadata;  // a template: "{frame}" becomes the frame number; empty: none
  // Internal, for `geyser demo`: no output on stdout; pacing by the receiver's acks.
  bool quiet = false;
  int pace_fd = -1;
};

constexpr std::string_view kFramePlaceholder = "{frame}";

// `templ` with every "{frame}" replaced by `frame`.
std::string expand_metadata(std::string_view templ, std::uint64_t frame) {
  const std::string number = std::to_string(frame);
  std::string out;
  for (auto at = templ.find(kFramePlaceholder); at != std::string_view::npos;
       at = templ.find(kFramePlaceholder)) {
    out.append(templ.substr(0, at)).append(number);
    templ.remove_prefix(at + kFramePlaceholder.size());
  }
  out.append(templ);
  return out;
}

// The longest metadata `templ` gives over frames 1..`last` (0: any frame number).
std::size_t longest_metadata(std::string_view templ, std::uint64_t last) {
  const std::uint64_t largest = last == 0 ? ~std::uint64_t{0} : last;
  return expand_metadata(templ, largest).size();
}

// --metadata must fit every frame (ipc::kMaxFrameMetadata bytes): a usage error otherwise.
void check_metadata(const SendOptions& options) {
  const std::size_t longest = longest_metadata(options.metadata, options.frames);
  if (longest <= ipc::kMaxFrameMetadata) return;
  const std::string bound = options.frames == 0
                                ? std::string("each {frame} counted as 20 digits")
                                : "frame numbers up to " + std::to_string(options.frames);
  throw CLI::ValidationError("--metadata", "expands to up to " + std::to_string(longest) +
                                               " bytes (" + bound + "); a frame carries at most " +
                                               std::to_string(ipc::kMaxFrameMetadata) + " bytes");
}

ColorDescription color_of(const SendOptions& options) {
  ColorDescription color;
  color.space = *parse_color_space(options.color_space);
  color.alpha = *parse_alpha_mode(options.alpha);
  color.orientation = *parse_orientation(options.orientation);
  return color;
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string receivers_text(std::uint32_t n) {
  return std::to_string(n) + (n == 1 ? " receiver" : " receivers");
}

int run_send(const SendOptions& options) {
  install_stop_signals();
  const Size size = *parse_size(options.size);
  TextureDescriptor desc;
  desc.width = size.width;
  desc.height = size.height;
  desc.format = parse_color_format(options.format);
  // Receivers read the frames (copies, sampling); send writes them with copies only.
  desc.usage = TextureUsage::TransferSrc | TextureUsage::TransferDst | TextureUsage::Sampled;

  auto dir = open_runtime_dir("send");
  if (!dir) return kExitRuntimeError;
  auto end = open_send_end(*parse_api(options.api), "send", device_selector(options.device));
  if (!end) return kExitRuntimeError;

  channel::SenderOptions sender_options;
  sender_options.runtime_dir = *dir;
  sender_options.slots = options.slots;
  sender_options.color = color_of(options);
  sender_options.tiling = options.tiling == "linear" ? Tiling::Linear : Tiling::Optimal;
  if (auto published = end->publish(options.name, desc, sender_options); !published) {
    std::cerr << "geyser send: cannot publish channel '" << options.name
              << "': " << published.error().to_string() << '\n';
    if (published.error().message().find("already published") != std::string::npos) {
      std::cerr << "hint: another sender owns that name (see `geyser list`); pick another name "
                   "or stop it first\n";
    }
    return kExitRuntimeError;
  }
  channel::SenderCore* sender = &end->core();
  const std::string mode(to_string(sender->stats().sync_mode));
  if (!options.quiet) {
    std::printf("geyser send: publishing '%s' (%s %s, color %s) on %s, sync %s, in %s; %s\n",
                options.name.c_str(), describe(desc).c_str(), options.tiling.c_str(),
                color_text(sender_options.color).c_str(), end->device_name().c_str(), mode.c_str(),
                dir->string().c_str(),
                options.frames == 0 ? "Ctrl-C to stop" : "Ctrl-C to stop early");
    std::fflush(stdout);
  }

  const std::uint32_t texel_size = format_info(desc.format).texel_size;
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  std::unique_ptr<AckReader> acks;
  if (options.pace_fd >= 0) acks = std::make_unique<AckReader>(options.pace_fd);
  constexpr auto kPaceTimeout = std::chrono::seconds(30);

  // Paced by acks: start once a receiver is there.
  if (acks) {
    const auto deadline = Clock::now() + kPaceTimeout;
    while (sender->stats().receivers == 0 && !stop_requested()) {
      if (Clock::now() > deadline) {
        std::cerr << "geyser send: no receiver connected within 30 s\n";
        return kExitRuntimeError;
      }
      (void)sender->poll(milliseconds(10));
    }
  }

  StatusLine status(stdout);
  const auto period = options.fps > 0 ? std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(1.0 / options.fps))
                                      : Clock::duration::zero();
  auto next_present = Clock::now();
  std::uint64_t sent = 0;
  int exit_code = kExitOk;
  while (!stop_requested() && (options.frames == 0 || sent < options.frames)) {
    const std::uint64_t number = sender->stats().frames + 1;

    // Pacing: the frame rate, answering receivers and listers meanwhile.
    for (auto now = Clock::now(); now < next_present && !stop_requested(); now = Clock::now()) {
      (void)sender->poll(
          std::min(milliseconds(50), std::chrono::ceil<milliseconds>(next_present - now)));
    }
    // Pacing by acks: frame N only once the receiver is done with frame N - 1.
    if (acks) {
      const auto deadline = Clock::now() + kPaceTimeout;
      while (acks->acked() + 1 < number && !acks->closed() && !stop_requested()) {
        if (Clock::now() > deadline) {
          std::cerr << "geyser send: the receiver acknowledged no frame for 30 s\n";
          return kExitRuntimeError;
        }
        acks->read(milliseconds(1));
        (void)sender->poll();
      }
      if (acks->closed()) {
        std::cerr << "geyser send: the receiver went away after frame " << acks->acked() << '\n';
        exit_code = kExitRuntimeError;
        break;
      }
    }
    if (stop_requested()) break;

    // Frames are numbered by presents: the next one is `number`. Drawn on the device where
    // the API can (CUDA's pattern kernel); else filled here and written through the API's
    // own copy (vulkan::upload, glTextureSubImage2D, cuda::upload), then presented.
    const std::string metadata = expand_metadata(options.metadata, number);
    auto written = end->write_pattern_on_device(number, milliseconds(250), as_bytes(metadata));
    if (!written) {
      fill_test_pattern(pixels, desc.width, desc.height, texel_size, number);
      written = sender->write(pixels, milliseconds(250), as_bytes(metadata));
    }
    if (!*written) {
      if (written->error().code() == ErrorCode::Timeout) continue;  // receivers hold every slot
      std::cerr << "geyser send: frame " << number << ": " << written->error().to_string() << '\n';
      exit_code = kExitRuntimeError;
      break;
    }
    ++sent;
    if (period != Clock::duration::zero()) {
      next_present += period;
      // After a stall, carry on at the frame rate rather than catching up in a burst.
      if (next_present < Clock::now() - period) next_present = Clock::now();
    }
    if (!options.quiet) {
      const auto stats = sender->stats();
      char line[160];
      std::snprintf(line, sizeof line, "frame %llu, %.1f fps, %s",
                    static_cast<unsigned long long>(stats.frames), stats.fps,
                    receivers_text(stats.receivers).c_str());
      status.update(line);
    }
  }

  // Let receivers take the last frame before the channel closes: a receiver drops a frame
  // it has not acquired yet when the sender goes away.
  if (exit_code == kExitOk && !stop_requested() && sent > 0) {
    const auto deadline = Clock::now() + (acks ? kPaceTimeout : std::chrono::seconds(1));
    if (acks) {
      while (acks->acked() < sender->stats().frames && !acks->closed() && Clock::now() < deadline &&
             !stop_requested()) {
        acks->read(milliseconds(5));
        (void)sender->poll();
      }
    } else if (sender->stats().receivers > 0) {
      while (Clock::now() < deadline && !stop_requested()) (void)sender->poll(milliseconds(50));
    }
  }
  if (!options.quiet) {
    status.finish();
    const auto stats = sender->stats();
    std::printf("geyser send: %s '%s' after %llu frames\n",
                stop_requested() ? "stopped; unpublished" : "done; unpublished",
                options.name.c_str(), static_cast<unsigned long long>(stats.frames));
  }
  return exit_code;  // ~Sender unpublishes the name
}

}  // namespace

void register_send(CLI::App& app, Action& action) {
  auto options = std::make_shared<SendOptions>();
  CLI::App* send =
      app.add_subcommand("send", "Publish a channel and stream the animated test pattern into it");
  send->add_option("name", options->name, "Channel name: 1..64 of A-Z a-z 0-9 . _ -")
      ->required()
      ->check(channel_name_validator());
  send->add_option("--api", options->api, "The API that writes the frames")
      ->capture_default_str()
      ->check(CLI::IsMember(api_names()));
  add_device_option(
      *send, options->device,
      "the sender's (not with --api opengl or host); default: the best-ranked device");
  send->add_option("--size", options->size, "Texture size, WIDTHxHEIGHT")
      ->capture_default_str()
      ->check(size_validator());
  send->add_option("--format", options->format,
                   "Texture format (colour formats: " + color_format_list() + ")")
      ->capture_default_str()
      ->check(format_validator());
  send->add_option("--fps", options->fps, "Frames per second; 0: as fast as possible")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0));
  send->add_option("--frames", options->frames, "Frames to send, then exit; 0: until Ctrl-C")
      ->capture_default_str();
  send->add_option("--slots", options->slots, "Textures in the ring")
      ->capture_default_str()
      ->check(CLI::Range(2, 16));
  send->add_option("--tiling", options->tiling,
                   "Slot layout: optimal (for graphics), or linear (rows at a pitch: CUDA "
                   "receivers get device pointers; Vulkan senders only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"optimal", "linear"}));
  send->add_option("--color-space", options->color_space, "Colour space of the texels")
      ->capture_default_str()
      ->check(color_space_validator());
  send->add_option("--alpha", options->alpha, "How alpha is to be read")
      ->capture_default_str()
      ->check(alpha_mode_validator());
  send->add_option("--orientation", options->orientation, "Row order: top-down or bottom-up")
      ->capture_default_str()
      ->check(orientation_validator());
  send->add_option("--metadata", options->metadata,
                   "Per-frame metadata (at most 256 bytes); {frame} becomes the frame number");
  send->add_flag("--quiet", options->quiet, "Print nothing on stdout")->group("");
  send->add_option("--pace-fd", options->pace_fd,
                   "Internal (geyser demo): present frame N once this fd acknowledged N-1")
      ->group("");
  send->footer(
      "Frames carry the test pattern of frame N (docs/cli.md), so `geyser recv NAME --verify` "
      "can check them.\nExit codes: 0 done or stopped by Ctrl-C/SIGTERM (the channel is "
      "unpublished), 1 runtime error, 2 usage error.");
  send->callback([options, &action] {
    check_metadata(*options);
    action = [options] { return run_send(*options); };
  });
}

}  // namespace geyser::cli
