#include "support/peer_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>
#include <utility>

#include "geyser/ipc/socket.hpp"
#include "support/fixed_message.hpp"

extern char** environ;

namespace geyser::test {

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

Result<PeerProcess> PeerProcess::spawn(const std::string& path) {
  // CLOEXEC on both ends: the child gets its end only through the dup2 below, which clears
  // the flag on the copy, and never inherits ours (or it would never see EOF).
  GEYSER_TRY(auto ends, ipc::socket_pair());
  UniqueFd ours = std::move(ends.first);
  UniqueFd theirs = std::move(ends.second);
  if (theirs.get() == kPeerSocketFd) {
    // dup2(3, 3) would leave FD_CLOEXEC set on some C libraries: move it out of the way.
    theirs.reset(fcntl(theirs.get(), F_DUPFD_CLOEXEC, 10));
    if (!theirs) return fail(Error::from_errno(ErrorCode::Internal, "F_DUPFD_CLOEXEC", errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), kPeerSocketFd);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = -1;
  const int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return fail(Error::from_errno(ErrorCode::Internal, "posix_spawn " + path, err));
  return PeerProcess(pid, std::move(ours), std::filesystem::path(path).filename().string());
}

PeerProcess::PeerProcess(PeerProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      socket_(std::move(other.socket_)),
      name_(std::move(other.name_)) {}

PeerProcess::~PeerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Result<int> PeerProcess::wait_for_exit(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return status;
    }
    if (done < 0 && errno != EINTR) {
      const int err = errno;
      pid_ = -1;
      return fail(Error::from_errno(ErrorCode::Internal, "waitpid", err));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return fail(ErrorCode::Timeout,
                  name_ + " did not exit within " + std::to_string(timeout.count()) + " s; killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace geyser::test
