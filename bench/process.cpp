#include "process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

namespace geyser::bench {

void set_text(std::span<char> buffer, std::string_view text) noexcept {
  if (buffer.empty()) return;
  const std::size_t n = std::min(text.size(), buffer.size() - 1);
  std::copy_n(text.data(), n, buffer.data());
  buffer[n] = '\0';
}

Result<pid_t> spawn(const std::function<int()>& body) {
  // Buffered output would otherwise be written by both processes.
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return fail(Error::from_errno(ErrorCode::Internal, "fork", errno));
  if (pid > 0) return pid;
  int code = 3;
  try {
    code = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "geyser bench: worker %d: %s\n", static_cast<int>(getpid()), e.what());
  }
  std::fflush(nullptr);
  ::_exit(code);
}

Result<void> wait_all(std::span<const pid_t> pids, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<pid_t> running(pids.begin(), pids.end());
  std::string problems;
  while (!running.empty()) {
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      const pid_t done = ::waitpid(*it, &status, WNOHANG);
      if (done == 0) {
        ++it;
        continue;
      }
      if (done < 0) {
        problems += " worker " + std::to_string(*it) + ": waitpid failed;";
      } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        problems += " worker " + std::to_string(*it) + " exited with " +
                    std::to_string(WEXITSTATUS(status)) + ";";
      } else if (WIFSIGNALED(status)) {
        problems += " worker " + std::to_string(*it) + " was killed by signal " +
                    std::to_string(WTERMSIG(status)) + ";";
      }
      it = running.erase(it);
    }
    if (running.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      for (const pid_t pid : running) {
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        problems += " worker " + std::to_string(pid) + " timed out after " +
                    std::to_string(timeout.count()) + " s and was killed;";
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!problems.empty()) return fail(ErrorCode::Internal, "benchmark workers:" + problems);
  return {};
}

std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t process_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void Children::spawn(const std::function<int()>& body) {
  auto pid = bench::spawn(body);
  if (pid) {
    pids_.push_back(*pid);
  } else if (!spawn_error_) {
    spawn_error_ = pid.error();
  }
}

Result<void> Children::wait(std::chrono::seconds timeout) {
  auto waited = wait_all(pids_, timeout);
  if (spawn_error_) return tl::unexpected(*spawn_error_);
  return waited;
}

}  // namespace geyser::bench
