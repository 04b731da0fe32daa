// The other side of the channel tests: a sender or a receiver in a process of its own, or a
// client that changes its uid before it connects. It prints one machine-readable line per
// event on stdout (line buffered) for tests/channel/channel_test.cpp to parse:
//
//   channel_peer send NAME FRAMES WxH [--resize-at N WxH] [--pace-ms MS] [--wait-receivers K]
//                                     [--stats-ms MS] [--max-ms MS]
//       FRAMES 0: until stdin reaches EOF. Lines: "ready pid P", "resized gen G WxH",
//       "stats frames F receivers R fds D dropped X gen G", "done frames F", "error ...".
//   channel_peer recv NAME [--frames N] [--exit-on-disconnect] [--connect-ms MS] [--max-ms MS]
//                          [--first-frame-ns] [--proc-ms MS]
//       Checks every frame it acquires. Lines: "ready pid P conn WxH",
//       "frame F gen G WxH conn C ok|bad <mismatch>", "stale F after L", "timeout",
//       "disconnected ns T" (CLOCK_MONOTONIC), "held F ok|bad|none",
//       "summary checked C bad B stale S timeouts T imports I reconnects R".
//       --first-frame-ns adds "first ns T conn C frame F" before the first frame of each
//       connection (T: CLOCK_MONOTONIC when it was acquired, for reconnect times);
//       --proc-ms MS adds "proc fds D rss B" (its own open fds and resident bytes) every MS ms.
//   channel_peer uid-connect NAME UID [--keep-dac]
//       Drops to UID (and gid UID), keeping CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH with
//       --keep-dac, then connects and says Hello. Lines: "uid U", "setuid-failed ...",
//       "caps-failed ...", "connect-failed CODE", "connected", "send-failed CODE",
//       "reply TYPE [CODE]", "receive-failed CODE".
//
// Every process ends with "validation N" and exits non-zero when the validation layer
// reported anything (3), or on any other failure (1). stdin reaching EOF stops the loops,
// so a test that dies takes its peers with it.
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "support/process_stats.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::uint64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(now.tv_nsec);
}

// True once stdin has reached EOF (or is not there): the test wants us to stop.
bool stdin_closed() {
  pollfd entry{0, POLLIN, 0};
  if (::poll(&entry, 1, 0) <= 0) return false;
  if ((entry.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  char byte = 0;
  return ::read(0, &byte, 1) <= 0;
}

bool parse_size(const char* text, geyser::TextureDescriptor& desc) {
  return std::sscanf(text, "%ux%u", &desc.width, &desc.height) == 2 && desc.width > 0 &&
         desc.height > 0;
}

// The exit code: "validation N" printed, 3 when the layer reported errors.
int finish(int code) {
  const std::uint64_t errors = geyser::vulkan::validation_error_count();
  std::printf("validation %llu\n", static_cast<unsigned long long>(errors));
  std::fflush(stdout);
  if (code == 0 && errors > 0) return 3;
  return code;
}

std::optional<geyser::vulkan::Device> make_device() {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::printf("error device %s\n", device.error().to_string().c_str());
    return std::nullopt;
  }
  return std::move(device).value();
}

int run_sender(int argc, char** argv) {
  if (argc < 5) return 2;
  const std::string name = argv[2];
  const long frames = std::atol(argv[3]);
  geyser::TextureDescriptor desc;
  if (!parse_size(argv[4], desc)) return 2;
  long resize_at = 0;
  geyser::TextureDescriptor resized = desc;
  long pace_ms = 5, wait_receivers = 0, stats_ms = 0, max_ms = 60000;
  for (int i = 5; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--resize-at" && i + 2 < argc) {
      resize_at = std::atol(argv[++i]);
      if (!parse_size(argv[++i], resized)) return 2;
    } else if (arg == "--pace-ms" && i + 1 < argc) {
      pace_ms = std::atol(argv[++i]);
    } else if (arg == "--wait-receivers" && i + 1 < argc) {
      wait_receivers = std::atol(argv[++i]);
    } else if (arg == "--stats-ms" && i + 1 < argc) {
      stats_ms = std::atol(argv[++i]);
    } else if (arg == "--max-ms" && i + 1 < argc) {
      max_ms = std::atol(argv[++i]);
    } else {
      std::printf("error unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  auto device = make_device();
  if (!device) return 1;
  auto sender = geyser::channel::Sender::publish(*device, name, desc);
  if (!sender) {
    std::printf("error publish %s %s\n", std::string(to_string(sender.error().code())).c_str(),
                sender.error().to_string().c_str());
    return 1;
  }
  std::printf("ready pid %d\n", static_cast<int>(getpid()));
  const auto end = Clock::now() + milliseconds(max_ms);
  if (wait_receivers > 0) {
    while (sender->stats().receivers < static_cast<std::uint32_t>(wait_receivers)) {
      if (Clock::now() > end || stdin_closed()) {
        std::printf("error only %u receivers came\n", sender->stats().receivers);
        return 1;
      }
      (void)sender->poll(milliseconds(10));
    }
  }
  std::vector<std::uint8_t> pixels;
  auto last_stats = Clock::now() - milliseconds(stats_ms);
  for (long i = 0; frames == 0 || i < frames; ++i) {
    if (stdin_closed() || Clock::now() > end) break;
    if (resize_at > 0 && static_cast<long>(sender->stats().frames) == resize_at) {
      if (auto done = sender->resize(resized); !done) {
        std::printf("error resize %s\n", done.error().to_string().c_str());
        return 1;
      }
      desc = resized;
      std::printf("resized gen %llu %ux%u\n",
                  static_cast<unsigned long long>(sender->stats().generation), desc.width,
                  desc.height);
    }
    const std::uint64_t frame = sender->stats().frames + 1;
    pixels.resize(static_cast<std::size_t>(desc.width) * desc.height * 4);
    geyser::fill_test_pattern(pixels, desc.width, desc.height, 4, frame);
    auto written = sender->write(pixels, milliseconds(3000));
    if (!written) {
      std::printf("error write frame %llu %s\n", static_cast<unsigned long long>(frame),
                  written.error().to_string().c_str());
      return 1;
    }
    if (*written != frame) {
      std::printf("error wrote frame %llu as %llu\n", static_cast<unsigned long long>(frame),
                  static_cast<unsigned long long>(*written));
      return 1;
    }
    // Paced: poll() returns as soon as a receiver says something, so poll until the time is up.
    const auto next = Clock::now() + milliseconds(pace_ms);
    do {
      (void)sender->poll(std::chrono::ceil<milliseconds>(next - Clock::now()));
    } while (Clock::now() < next);
    if (stats_ms > 0 && Clock::now() - last_stats >= milliseconds(stats_ms)) {
      last_stats = Clock::now();
      const auto stats = sender->stats();
      std::printf("stats frames %llu receivers %u fds %zu dropped %llu gen %llu\n",
                  static_cast<unsigned long long>(stats.frames), stats.receivers,
                  geyser::test::open_fd_count(),
                  static_cast<unsigned long long>(stats.dropped_connections),
                  static_cast<unsigned long long>(stats.generation));
    }
  }
  std::printf("done frames %llu\n", static_cast<unsigned long long>(sender->stats().frames));
  return 0;
}

// Reads `texture` back and checks it against frame `frame`; "" when it matches.
std::string check_frame(geyser::vulkan::VulkanSharedTexture& texture, std::uint64_t frame) {
  auto pixels = geyser::vulkan::readback(texture);
  if (!pixels) return "readback-failed " + pixels.error().to_string();
  const auto& d = texture.descriptor();
  if (pixels->size() != static_cast<std::size_t>(d.width) * d.height * 4) return "size";
  if (auto mismatch = geyser::check_test_pattern(*pixels, d.width, d.height, 4, frame)) {
    return mismatch->to_string();
  }
  return {};
}

int run_receiver(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string name = argv[2];
  long max_frames = 0, connect_ms = 10000, max_ms = 60000, proc_ms = 0;
  bool exit_on_disconnect = false, first_frame_ns = false;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--frames" && i + 1 < argc) {
      max_frames = std::atol(argv[++i]);
    } else if (arg == "--connect-ms" && i + 1 < argc) {
      connect_ms = std::atol(argv[++i]);
    } else if (arg == "--max-ms" && i + 1 < argc) {
      max_ms = std::atol(argv[++i]);
    } else if (arg == "--exit-on-disconnect") {
      exit_on_disconnect = true;
    } else if (arg == "--first-frame-ns") {
      first_frame_ns = true;
    } else if (arg == "--proc-ms" && i + 1 < argc) {
      proc_ms = std::atol(argv[++i]);
    } else {
      std::printf("error unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  auto device = make_device();
  if (!device) return 1;
  auto receiver = geyser::channel::Receiver::connect(*device, name, milliseconds(connect_ms));
  if (!receiver) {
    std::printf("error connect %s %s\n", std::string(to_string(receiver.error().code())).c_str(),
                receiver.error().to_string().c_str());
    return 1;
  }
  std::printf("ready pid %d %ux%u\n", static_cast<int>(getpid()), receiver->descriptor().width,
              receiver->descriptor().height);
  const auto end = Clock::now() + milliseconds(max_ms);
  long checked = 0, bad = 0, stale = 0, timeouts = 0;
  std::uint64_t last_frame = 0, last_connection = 0;
  bool disconnected = false;
  int code = 0;
  auto last_proc = Clock::now() - milliseconds(proc_ms);
  while ((max_frames == 0 || checked < max_frames) && !stdin_closed() && Clock::now() < end) {
    // Measured between two acquires, where the receiver holds at most one frame.
    if (proc_ms > 0 && Clock::now() - last_proc >= milliseconds(proc_ms)) {
      last_proc = Clock::now();
      std::printf("proc fds %zu rss %llu\n", geyser::test::open_fd_count(),
                  static_cast<unsigned long long>(geyser::test::rss_bytes()));
    }
    auto frame = receiver->acquire(milliseconds(1000));
    if (!frame) {
      const geyser::ErrorCode error = frame.error().code();
      if (error == geyser::ErrorCode::Timeout) {
        ++timeouts;
        std::printf("timeout\n");
        continue;
      }
      if (error == geyser::ErrorCode::Disconnected) {
        if (!disconnected) {
          disconnected = true;
          std::printf("disconnected ns %llu state %s\n",
                      static_cast<unsigned long long>(monotonic_ns()),
                      std::string(to_string(receiver->state())).c_str());
          // The last frame stays valid after the sender died.
          if (const auto* held = receiver->held()) {
            const std::string mismatch = check_frame(*held->texture, held->frame);
            std::printf("held %llu %s%s\n", static_cast<unsigned long long>(held->frame),
                        mismatch.empty() ? "ok" : "bad ", mismatch.c_str());
            if (!mismatch.empty()) ++bad;
          } else {
            std::printf("held none\n");
          }
          if (exit_on_disconnect) break;
        }
        std::this_thread::sleep_for(milliseconds(20));
        continue;
      }
      std::printf("error acquire %s\n", frame.error().to_string().c_str());
      code = 1;
      break;
    }
    disconnected = false;
    if (frame->connection != last_connection) {
      if (first_frame_ns) {
        std::printf("first ns %llu conn %llu frame %llu\n",
                    static_cast<unsigned long long>(monotonic_ns()),
                    static_cast<unsigned long long>(frame->connection),
                    static_cast<unsigned long long>(frame->frame));
      }
      last_connection = frame->connection;
      last_frame = 0;
    }
    if (frame->frame <= last_frame) {
      ++stale;
      std::printf("stale %llu after %llu\n", static_cast<unsigned long long>(frame->frame),
                  static_cast<unsigned long long>(last_frame));
    }
    last_frame = frame->frame;
    const auto& d = frame->texture->descriptor();
    const std::string mismatch = check_frame(*frame->texture, frame->frame);
    ++checked;
    if (!mismatch.empty()) ++bad;
    std::printf("frame %llu gen %llu %ux%u conn %llu %s%s\n",
                static_cast<unsigned long long>(frame->frame),
                static_cast<unsigned long long>(frame->generation), d.width, d.height,
                static_cast<unsigned long long>(frame->connection),
                mismatch.empty() ? "ok" : "bad ", mismatch.c_str());
  }
  const auto stats = receiver->stats();
  std::printf("summary checked %ld bad %ld stale %ld timeouts %ld imports %llu reconnects %llu\n",
              checked, bad, stale, timeouts, static_cast<unsigned long long>(stats.imports),
              static_cast<unsigned long long>(stats.reconnects));
  if (bad > 0 || stale > 0) code = 1;
  return code;
}

int run_uid_connect(int argc, char** argv) {
  if (argc < 4) return 2;
  const std::string name = argv[2];
  const auto uid = static_cast<uid_t>(std::strtoul(argv[3], nullptr, 10));
  const bool keep_dac = argc > 4 && std::string(argv[4]) == "--keep-dac";
  auto dir = geyser::ipc::runtime_dir_path();  // not ensure_private_dir: it is not ours
  if (!dir) {
    std::printf("error %s\n", dir.error().to_string().c_str());
    return 1;
  }
  if (keep_dac && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    std::printf("caps-failed prctl %s\n", std::strerror(errno));
    return 0;
  }
  if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) {
    std::printf("setuid-failed %s\n", std::strerror(errno));
    return 0;
  }
  if (keep_dac) {
    // Permitted capabilities survive setuid with KEEPCAPS; raise the two that let us reach
    // a root-owned 0700 directory, so that the sender's SO_PEERCRED check is what refuses us.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) {
      std::printf("caps-failed capget %s\n", std::strerror(errno));
      return 0;
    }
    data[0].effective |= (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
    if (::syscall(SYS_capset, &header, data) != 0) {
      std::printf("caps-failed capset %s\n", std::strerror(errno));
      return 0;
    }
  }
  std::printf("uid %u\n", static_cast<unsigned>(::geteuid()));
  auto socket = geyser::ipc::connect_channel(*dir, name, milliseconds(1000));
  if (!socket) {
    std::printf("connect-failed %s %s\n", std::string(to_string(socket.error().code())).c_str(),
                socket.error().message().c_str());
    return 0;
  }
  std::printf("connected\n");
  geyser::ipc::Hello hello;
  hello.client_pid = static_cast<std::uint32_t>(getpid());
  auto sent = geyser::ipc::send(*socket, geyser::ipc::Message(hello), milliseconds(1000));
  if (!sent) {
    std::printf("send-failed %s\n", std::string(to_string(sent.error().code())).c_str());
    return 0;
  }
  auto reply = geyser::ipc::receive(*socket, milliseconds(5000));
  if (!reply) {
    std::printf("receive-failed %s\n", std::string(to_string(reply.error().code())).c_str());
    return 0;
  }
  const auto type = geyser::ipc::message_type(*reply);
  if (const auto* error = std::get_if<geyser::ipc::ErrorMessage>(&*reply)) {
    std::printf("reply Error %s\n", std::string(to_string(error->code)).c_str());
  } else {
    std::printf("reply %s\n", std::string(geyser::ipc::to_string(type)).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  int code = 2;
  if (mode == "send") {
    code = run_sender(argc, argv);
  } else if (mode == "recv") {
    code = run_receiver(argc, argv);
  } else if (mode == "uid-connect") {
    code = run_uid_connect(argc, argv);
  }
  if (code == 2) {
    std::fprintf(stderr, "channel_peer: bad arguments (see the file's header)\n");
    return code;
  }
  // After every Vulkan object of the mode is gone, so that their destruction is checked too.
  return finish(code);
}
