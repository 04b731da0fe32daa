#include "soak/soak_peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace geyser::soak {

using namespace std::chrono_literals;

std::uint64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(now.tv_nsec);
}

Peer::Peer(std::string label, const std::string& executable, const std::vector<std::string>& args,
           const std::string& runtime_dir)
    : label_(std::move(label)) {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0) return;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return;
  }
  std::vector<std::string> argv_text{executable};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!starts_with(*e, "GEYSER_RUNTIME_DIR=")) env_text.emplace_back(*e);
  }
  env_text.push_back("GEYSER_RUNTIME_DIR=" + runtime_dir);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the target; every other descriptor of ours stays closed.
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  stdin_ = in[1];
  stdout_ = out[0];
  if (spawned != 0) {
    pid_ = -1;
    lines_.push_back(std::string("posix_spawn failed: ") + std::strerror(spawned));
    return;
  }
  reader_ = std::thread([this] { read_lines(); });
}

Peer::~Peer() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    (void)wait_exit(5s);
  }
  stop_ = true;
  if (reader_.joinable()) reader_.join();
  close_stdin();
  if (stdout_ >= 0) ::close(stdout_);
}

bool Peer::poll_exit() {
  if (pid_ <= 0) return true;
  if (status_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return status_.has_value();
}

void Peer::close_stdin() {
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
}

void Peer::kill9() {
  if (!running()) return;
  killed_ = true;
  ::kill(pid_, SIGKILL);
}

std::optional<int> Peer::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  while (!poll_exit()) {
    if (Clock::now() > deadline) {
      kill9();
      int status = 0;
      ::waitpid(pid_, &status, 0);
      status_ = status;
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

std::vector<std::string> Peer::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::size_t Peer::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

bool Peer::wait_until(const std::function<bool(const std::vector<std::string>&)>& done,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (done(lines_)) return true;
    if (Clock::now() > deadline) return false;
    changed_.wait_for(lock, 20ms);
  }
}

std::string Peer::tail(std::size_t count) const {
  const auto all = lines();
  std::string out = "Last lines of " + label_ + ":";
  for (std::size_t i = all.size() > count ? all.size() - count : 0; i < all.size(); ++i) {
    out += "\n  " + all[i];
  }
  return out;
}

void Peer::read_lines() {
  std::string partial;
  char buffer[4096];
  while (!stop_) {
    pollfd entry{stdout_, POLLIN, 0};
    if (::poll(&entry, 1, 50) <= 0) continue;
    const ssize_t n = ::read(stdout_, buffer, sizeof buffer);
    if (n <= 0) break;  // EOF: the peer is gone
    partial.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline = 0;
    std::lock_guard lock(mutex_);
    while ((newline = partial.find('\n')) != std::string::npos) {
      lines_.push_back(partial.substr(0, newline));
      partial.erase(0, newline + 1);
    }
    changed_.notify_all();
  }
}

}  // namespace geyser::soak
