// Child processes for the ipc tests that need another process on the shared memory: a
// forked body whose return value is its exit code.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace geyser::ipc::test {

/// Forks; the child runs `body` and exits with what it returns.
inline pid_t spawn(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

/// The exit code of child `pid` once it ends; -1 when it did not exit normally.
inline int exit_code(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace geyser::ipc::test
