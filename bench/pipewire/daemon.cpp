#include "pipewire/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "geyser/unique_fd.hpp"
#include "pipewire/config.hpp"
#include "process.hpp"

namespace geyser::bench::pipewire {
namespace {

constexpr const char* kSocketName = "pipewire-0";
constexpr const char* kConfigName = "pipewire.conf";
constexpr const char* kLogName = "daemon.log";

// The last lines of the daemon's log, for an error message.
std::string log_tail(const std::filesystem::path& dir) {
  std::ifstream file(dir / kLogName);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  constexpr std::size_t kMax = 400;
  if (text.size() > kMax) text = "..." + text.substr(text.size() - kMax);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "(no output)" : text;
}

Result<void> write_config(const std::filesystem::path& dir) {
  std::ofstream file(dir / kConfigName);
  file << daemon_config();
  file.close();
  if (!file) return fail(ErrorCode::Internal, "cannot write " + (dir / kConfigName).string());
  return {};
}

// The child's side: its output into the log, the private directories, then exec.
int exec_daemon(const std::filesystem::path& binary, const std::filesystem::path& dir) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlives the bench
  const int log = ::open((dir / kLogName).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log >= 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
  }
  ::setenv("PIPEWIRE_RUNTIME_DIR", dir.c_str(), 1);
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  ::setenv("PIPEWIRE_CONFIG_DIR", dir.c_str(), 1);
  ::unsetenv("DBUS_SESSION_BUS_ADDRESS");
  const std::string config = (dir / kConfigName).string();
  ::execl(binary.c_str(), "pipewire", "-c", config.c_str(), static_cast<char*>(nullptr));
  std::fprintf(stderr, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
  return 127;
}

// Whether something accepts connections on the daemon's socket.
bool listening(const std::filesystem::path& socket_path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket_path.string();
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

Result<std::filesystem::path> find_daemon_binary() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / "pipewire";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return fail(ErrorCode::Unsupported,
              "the pipewire daemon is not installed (no `pipewire` on PATH; Debian: pipewire-bin)");
}

Result<std::string> daemon_version(const std::filesystem::path& binary) {
  const std::string command = "'" + binary.string() + "' --version 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return fail(Error::from_errno(ErrorCode::Internal, "popen", errno));
  std::string version;
  char line[256];
  bool first = true;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (first) {  // the program's name
      first = false;
      continue;
    }
    if (text.empty()) continue;
    version += (version.empty() ? "" : "; ") + text;
  }
  const int status = ::pclose(pipe);
  if (status != 0 || version.empty()) {
    return fail(ErrorCode::Unsupported, "`pipewire --version` failed (" + version + ")");
  }
  return version;
}

Result<Daemon> Daemon::start(const std::filesystem::path& binary, const std::filesystem::path& dir,
                             std::chrono::milliseconds timeout) {
  GEYSER_TRY_VOID(write_config(dir));
  GEYSER_TRY(pid_t pid, spawn([&] { return exec_daemon(binary, dir); }));
  Daemon daemon(pid, dir);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      daemon.pid_ = -1;
      return fail(ErrorCode::Unsupported, "the pipewire daemon exited at start (status " +
                                              std::to_string(status) + "): " + log_tail(dir));
    }
    if (listening(dir / kSocketName)) return daemon;
    if (std::chrono::steady_clock::now() > deadline) {
      daemon.stop();
      return fail(ErrorCode::Unsupported, "the pipewire daemon did not listen within " +
                                              std::to_string(timeout.count()) +
                                              " ms: " + log_tail(dir));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Daemon::Daemon(Daemon&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), dir_(std::move(other.dir_)) {}

void Daemon::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

}  // namespace geyser::bench::pipewire
