// `geyser demo`: a sender process and a receiver process (this same binary, as `geyser send`
// and `geyser recv`) stream the test pattern over a private channel; every frame is checked.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "device_spec.hpp"
#include "json.hpp"

extern char** environ;

namespace geyser::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct DemoOptions {
  std::uint64_t frames = 300;
  std::string size = "1280x720";
  std::string png = "geyser-demo.png";
  std::string device;       // --device SPEC for both processes; empty: the default
  std::string recv_device;  // --recv-device SPEC for the receiver; empty: --device
};

// `args` and, when `spec` is given, "--device SPEC" after them.
std::vector<std::string> with_device(std::vector<std::string> args, const std::string& spec) {
  if (!spec.empty()) args.insert(args.end(), {"--device", spec});
  return args;
}

/// A child process of the demo.
struct Child {
  const char* role = "";
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;

  bool poll_exit() {
    if (pid < 0 || reaped) return reaped;
    if (::waitpid(pid, &status, WNOHANG) == pid) reaped = true;
    return reaped;
  }
  void signal(int sig) const {
    if (pid > 0 && !reaped) ::kill(pid, sig);
  }
  // Waits up to `grace` for the child to exit, then SIGTERM, then SIGKILL: always reaped.
  void reap(milliseconds grace) {
    if (pid < 0) return;
    for (int sig : {0, SIGTERM, SIGKILL}) {
      if (sig != 0) signal(sig);
      const auto deadline = Clock::now() + (sig == 0 ? grace : milliseconds(3000));
      while (!poll_exit() && Clock::now() < deadline) ::poll(nullptr, 0, 10);
      if (reaped) return;
    }
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    reaped = true;
  }
  [[nodiscard]] bool succeeded() const {
    return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  [[nodiscard]] std::string outcome() const {
    if (!reaped) return "still running";
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
    return "ended";
  }
};

// An fd number above the standard ones and 3, which the children get their pipe on:
// posix_spawn's dup2 onto the same number would keep FD_CLOEXEC set.
int high_fd(int fd) {
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

struct Pipe {
  int read = -1;
  int write = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = high_fd(fds[0]);
    write = high_fd(fds[1]);
    return read >= 0 && write >= 0;
  }
  static void close(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Starts this binary (/proc/self/exe) with `args`; `dups` are (from, to) fd pairs.
std::optional<pid_t> spawn(const std::vector<std::string>& args,
                           const std::vector<std::pair<int, int>>& dups) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  for (const auto& [from, to] : dups) posix_spawn_file_actions_adddup2(&actions, from, to);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::cerr << "geyser demo: cannot start `geyser " << args[1]
              << "` from /proc/self/exe: " << std::strerror(rc) << '\n';
    return std::nullopt;
  }
  return pid;
}

std::string status_text(const Json& p, std::uint64_t total) {
  char line[256];
  std::snprintf(line, sizeof line, "frames %llu/%llu, %.1f fps, latency p50 %s p99 %s, sync %s, %s",
                p.value("frames", 0ull), static_cast<unsigned long long>(total),
                p.value("fps", 0.0), format_latency(p.value("latency_p50_us", 0.0)).c_str(),
                format_latency(p.value("latency_p99_us", 0.0)).c_str(),
                p.value("sync_mode", std::string("?")).c_str(),
                p.value("device", std::string("?")).c_str());
  return line;
}

int run_demo(const DemoOptions& options) {
  install_stop_signals();
  const Size size = *parse_size(options.size);
  auto dir = open_runtime_dir("demo");
  if (!dir) return kExitRuntimeError;

  const std::string name = "demo-" + std::to_string(::getpid());
  const std::string frames = std::to_string(options.frames);
  Pipe acks;      // receiver -> sender: "frame N done", the sender's pace
  Pipe progress;  // receiver's stdout -> us: progress lines and the summary
  if (!acks.open() || !progress.open()) {
    std::cerr << "geyser demo: pipe: " << std::strerror(errno) << '\n';
    return kExitRuntimeError;
  }

  std::printf("geyser demo: streaming %llu frames of %ux%u Rgba8Unorm over channel '%s' in %s\n",
              static_cast<unsigned long long>(options.frames), size.width, size.height,
              name.c_str(), dir->string().c_str());
  std::fflush(stdout);
  const auto start = Clock::now();
  Child sender{"sender"};
  Child receiver{"receiver"};
  // The sender runs as fast as the receiver keeps up: it presents frame N once the receiver
  // has checked frame N - 1, so that newest-frame delivery skips nothing.
  if (auto pid = spawn(with_device({"geyser", "send", name, "--size", options.size, "--frames",
                                    frames, "--fps", "0", "--quiet", "--pace-fd", "3"},
                                   options.device),
                       {{acks.read, 3}})) {
    sender.pid = *pid;
  }
  if (sender.pid > 0) {
    const std::string& recv_device =
        options.recv_device.empty() ? options.device : options.recv_device;
    if (auto pid =
            spawn(with_device({"geyser", "recv", name, "--frames", frames, "--verify", "--png",
                               options.png, "--timeout", "30", "--progress", "--ack-fd", "3"},
                              recv_device),
                  {{progress.write, 1}, {acks.write, 3}})) {
      receiver.pid = *pid;
    }
  }
  Pipe::close(acks.read);
  Pipe::close(acks.write);
  Pipe::close(progress.write);
  if (receiver.pid < 0) {
    sender.reap(milliseconds(0));
    Pipe::close(progress.read);
    return kExitRuntimeError;
  }

  StatusLine status(stdout);
  std::optional<Json> summary;
  std::string buffer;
  bool forwarded_stop = false;
  auto last_line = Clock::now();
  for (;;) {
    if (stop_requested() && !forwarded_stop) {
      // Ctrl-C reaches the children too when they share our terminal; kill(1) may not.
      sender.signal(SIGTERM);
      receiver.signal(SIGTERM);
      forwarded_stop = true;
    }
    // A sender that failed leaves the receiver waiting for frames: stop it.
    if (sender.poll_exit() && !sender.succeeded() && !forwarded_stop) {
      receiver.signal(SIGTERM);
      forwarded_stop = true;
    }
    if (Clock::now() - last_line > std::chrono::seconds(60)) {
      status.finish();
      std::cerr << "geyser demo: no progress for 60 s; stopping\n";
      sender.signal(SIGKILL);
      receiver.signal(SIGKILL);
      break;
    }
    pollfd pfd{progress.read, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(progress.read, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the receiver exited
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto eol = buffer.find('\n'); eol != std::string::npos; eol = buffer.find('\n')) {
      const std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      last_line = Clock::now();
      const auto space = line.find(' ');
      if (space == std::string::npos) continue;
      Json value = Json::parse(line.substr(space + 1), nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) continue;
      if (line.compare(0, space, "progress") == 0) {
        status.update(status_text(value, options.frames));
      } else if (line.compare(0, space, "summary") == 0) {
        status.update(status_text(value, options.frames), /*force=*/!status.tty());
        summary = std::move(value);
      }
    }
  }
  status.finish();
  Pipe::close(progress.read);
  receiver.reap(milliseconds(10000));
  sender.reap(milliseconds(10000));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  if (!summary) {
    std::cerr << "geyser demo: the receiver ended without a summary (" << receiver.outcome()
              << "); the sender: " << sender.outcome() << '\n';
    return kExitRuntimeError;
  }
  const Json& s = *summary;
  const auto received = s.value("frames", 0ull);
  const auto bad = s.value("bad", 0ull);
  std::printf("geyser demo: %llu of %llu frames received, %llu skipped, %llu bad\n", received,
              static_cast<unsigned long long>(options.frames), s.value("skipped", 0ull), bad);
  std::printf("  time:      %.2f s in all (start-up included), %.1f fps while streaming\n", seconds,
              s.value("fps", 0.0));
  std::printf(
      "  latency:   p50 %s, p99 %s (sender's present to receiver's acquire, "
      "CLOCK_MONOTONIC)\n",
      format_latency(s.value("latency_p50_us", 0.0)).c_str(),
      format_latency(s.value("latency_p99_us", 0.0)).c_str());
  std::printf("  sync mode: %s\n", s.value("sync_mode", std::string("?")).c_str());
  std::printf("  device:    %s\n", s.value("device", std::string("?")).c_str());
  const bool png = s.contains("png") && s["png"].is_string();
  if (png) {
    std::printf("  png:       %s (frame %llu, %ux%u)\n", s["png"].get<std::string>().c_str(),
                s.value("last_frame", 0ull), size.width, size.height);
  }
  const bool ok = receiver.succeeded() && sender.succeeded() && received > 0 && bad == 0 && png &&
                  !stop_requested();
  if (ok) {
    std::printf("geyser demo: ok, every frame matched the test pattern\n");
  } else {
    std::printf("geyser demo: FAILED (receiver: %s, sender: %s%s)\n", receiver.outcome().c_str(),
                sender.outcome().c_str(), stop_requested() ? ", interrupted" : "");
  }
  std::fflush(stdout);
  return ok ? kExitOk : kExitRuntimeError;
}

}  // namespace

void register_demo(CLI::App& app, Action& action) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand(
      "demo", "Stream the test pattern from a sender process to a receiver process and check it");
  demo->add_option("--frames", options->frames, "Frames to stream")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000000}));
  demo->add_option("--size", options->size, "Texture size, WIDTHxHEIGHT (format Rgba8Unorm)")
      ->capture_default_str()
      ->check(size_validator());
  demo->add_option("--png", options->png, "Where to write the last frame as a PNG")
      ->capture_default_str();
  add_device_option(*demo, options->device, "both processes'; default: the best-ranked device");
  demo->add_option("--recv-device", options->recv_device,
                   "The receiver's device, when not --device's (the same SPEC): a receiver on "
                   "another GPU takes host frames")
      ->check(CLI::Validator(
          [](std::string& text) { return text.empty() ? "an empty device SPEC" : ""; }, "SPEC"));
  demo->footer(
      "Runs `geyser send` and `geyser recv --verify` as two processes over channel "
      "demo-<pid>.\nExit codes: 0 frames arrived and every one matched, 1 a bad frame, no "
      "frame or a runtime error, 2 usage error.");
  demo->callback([options, &action] { action = [options] { return run_demo(*options); }; });
}

}  // namespace geyser::cli
