#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace geyser::cli_test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> make_env(const Env& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool overridden = false;
    for (const auto& [key, value] : extra) {
      if (entry.compare(0, key.size() + 1, key + "=") == 0) overridden = true;
    }
    if (!overridden) out.push_back(entry);
  }
  for (const auto& [key, value] : extra) out.push_back(key + "=" + value);
  return out;
}

}  // namespace

Process::Process(const std::vector<std::string>& args, const Env& env)
    : Process(GEYSER_CLI, args, env) {}

Process::Process(const std::string& program, const std::vector<std::string>& args, const Env& env)
    : start_(Clock::now()) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = make_env(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("posix_spawn " + program + ": " + std::strerror(rc));
  }
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) (void)stop(SIGKILL, std::chrono::milliseconds(5000));
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::drain(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (::poll(fds, 2, timeout_ms) <= 0) return;
  for (int i = 0; i < 2; ++i) {
    if (fds[i].revents == 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
    if (n > 0) {
      (i == 0 ? outcome_.out : outcome_.err).append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
}

Outcome Process::wait(std::chrono::milliseconds timeout) {
  if (reaped_) return outcome_;
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  bool exited = false;
  while (Clock::now() < deadline) {
    if (out_fd_ >= 0 || err_fd_ >= 0) {
      drain(20);
    } else {
      ::poll(nullptr, 0, 10);
    }
    if (!exited && ::waitpid(pid_, &status, WNOHANG) == pid_) exited = true;
    if (exited && out_fd_ < 0 && err_fd_ < 0) break;
    // Exited but a grandchild keeps a pipe open: stop reading after a moment.
    if (exited) {
      drain(100);
      break;
    }
  }
  if (!exited) {
    outcome_.timed_out = true;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    drain(0);
  }
  reaped_ = true;
  outcome_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_);
  if (WIFEXITED(status)) outcome_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome_.signal = WTERMSIG(status);
  return outcome_;
}

Outcome Process::stop(int sig, std::chrono::milliseconds timeout) {
  if (!reaped_) ::kill(pid_, sig);
  return wait(timeout);
}

bool Process::read_until(
    const std::function<bool(const std::string& out, const std::string& err)>& done,
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done(outcome_.out, outcome_.err)) return true;
    if (reaped_ || (out_fd_ < 0 && err_fd_ < 0) || Clock::now() >= deadline) return false;
    drain(20);
  }
}

Outcome run(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
            const Env& env) {
  Process process(args, env);
  return process.wait(timeout);
}

}  // namespace geyser::cli_test
