#include "fake_sender_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace geyser::hostile_test {

FakeSenderProcess::FakeSenderProcess(const std::string& name, const std::string& mode,
                                     const std::filesystem::path& runtime_dir,
                                     std::filesystem::path log)
    : log_(std::move(log)) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args{GEYSER_FAKE_SENDER, name, "--mode", mode};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // This process's environment with GEYSER_RUNTIME_DIR replaced.
  std::vector<std::string> env{"GEYSER_RUNTIME_DIR=" + runtime_dir.string()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GEYSER_RUNTIME_DIR=", 19) != 0) env.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const int rc =
      posix_spawn(&pid_, GEYSER_FAKE_SENDER, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  out_fd_ = out[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("posix_spawn " GEYSER_FAKE_SENDER ": ") +
                             std::strerror(rc));
  }
}

FakeSenderProcess::~FakeSenderProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool FakeSenderProcess::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  while (out.find("ready\n") == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{out_fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[256];
    const ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;  // it exited before publishing
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

bool FakeSenderProcess::alive() {
  if (reaped_) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

std::string FakeSenderProcess::log() const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace geyser::hostile_test
