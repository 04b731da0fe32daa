#include "geyser/ipc/runtime_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace geyser::ipc {
namespace {

std::string octal_mode(mode_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "0%03o", static_cast<unsigned>(mode & 07777));
  return text;
}

ErrorCode code_for_errno(int err) {
  return (err == EACCES || err == EPERM) ? ErrorCode::PermissionDenied : ErrorCode::Internal;
}

bool is_errno(const Error& error, int err) {
  return error.native_domain() == NativeDomain::Errno && error.native_code() == err;
}

std::string already_published(std::string_view name) {
  return "publish_channel: channel " + std::string(name) + " is already published";
}

Error errno_failure(const std::string& what, int err) {
  return Error::from_errno(code_for_errno(err), what, err);
}

std::string not_ours(const std::string& text, uid_t owner) {
  return "runtime directory " + text + " is owned by uid " + std::to_string(owner) +
         ", not by us (uid " + std::to_string(::geteuid()) +
         "): another user could replace our sockets; remove it or set GEYSER_RUNTIME_DIR to a "
         "directory of ours";
}

// Opens `dir` as an O_PATH directory handle, walking its components one at a time from
// "/" (or the working directory) so that no component is resolved twice: an intermediate
// symlink is followed only when root or we own it (another user could point theirs
// anywhere), the last component never. With `create` the last component is made (0700)
// when missing. Then the open directory itself is checked (fstat): a directory and, with
// `private_dir`, owned by us with no group/other permission bits.
Result<UniqueFd> open_dir(const std::filesystem::path& dir, bool create, bool private_dir) {
  const std::string& text = dir.native();
  constexpr int kPathFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  std::vector<std::string> parts;
  for (const auto& part : dir.relative_path()) {
    if (!part.empty()) parts.push_back(part.native());
  }
  if (parts.empty()) {
    return fail(ErrorCode::Validation, "runtime directory \"" + text + "\" has no name");
  }
  UniqueFd at(::open(dir.is_absolute() ? "/" : ".", kPathFlags));
  if (!at) return fail(errno_failure("ensure_private_dir: open(\"/\")", errno));
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    struct stat link {};
    if (::fstatat(at.get(), parts[i].c_str(), &link, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail(errno_failure(
          "ensure_private_dir: lstat component \"" + parts[i] + "\" of \"" + text + "\"", errno));
    }
    if (S_ISLNK(link.st_mode) && link.st_uid != 0 && link.st_uid != ::geteuid()) {
      return fail(ErrorCode::PermissionDenied, "runtime directory " + text + ": component \"" +
                                                   parts[i] + "\" is a symlink owned by uid " +
                                                   std::to_string(link.st_uid) +
                                                   "; refusing it (they could point it anywhere)");
    }
    UniqueFd next(::openat(at.get(), parts[i].c_str(), kPathFlags));
    if (!next) {
      return fail(errno_failure(
          "ensure_private_dir: open component \"" + parts[i] + "\" of \"" + text + "\"", errno));
    }
    at = std::move(next);
  }
  const std::string& last = parts.back();
  if (create) {
    if (::mkdirat(at.get(), last.c_str(), 0700) == 0) {
      // The umask can only remove bits, but it could have removed ours too.
      if (::fchmodat(at.get(), last.c_str(), 0700, 0) != 0) {
        return fail(errno_failure("ensure_private_dir: chmod(\"" + text + "\", 0700)", errno));
      }
    } else if (errno != EEXIST) {
      return fail(errno_failure("ensure_private_dir: mkdir(\"" + text + "\", 0700)", errno));
    }
  }
  UniqueFd fd(::openat(at.get(), last.c_str(), kPathFlags | O_NOFOLLOW));
  if (!fd) {
    const int err = errno;
    struct stat info {};
    if (::fstatat(at.get(), last.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
      // In a shared place like /tmp another user could plant a symlink to a directory of
      // their choosing (or ours) under the name we expect: never followed.
      if (S_ISLNK(info.st_mode)) {
        return fail(ErrorCode::PermissionDenied,
                    "runtime directory " + text +
                        " is a symlink; refusing it (it must be a real directory owned by us)");
      }
      if (!S_ISDIR(info.st_mode)) {
        return fail(ErrorCode::PermissionDenied,
                    "runtime directory " + text + " exists and is not a directory");
      }
    }
    return fail(errno_failure("ensure_private_dir: open(\"" + text + "\")", err));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return fail(errno_failure("ensure_private_dir: fstat(\"" + text + "\")", errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    return fail(ErrorCode::PermissionDenied,
                "runtime directory " + text + " exists and is not a directory");
  }
  if (private_dir && info.st_uid != ::geteuid()) {
    return fail(ErrorCode::PermissionDenied, not_ours(text, info.st_uid));
  }
  if (private_dir && (info.st_mode & 077) != 0) {
    return fail(ErrorCode::PermissionDenied,
                "runtime directory " + text + " has mode " + octal_mode(info.st_mode) +
                    "; it must have no group or other permissions (chmod 700 " + text + ")");
  }
  return fd;
}

}  // namespace

Result<std::filesystem::path> runtime_dir_path() {
  if (const char* geyser_dir = std::getenv("GEYSER_RUNTIME_DIR");
      geyser_dir != nullptr && *geyser_dir != '\0') {
    std::filesystem::path dir(geyser_dir);
    if (!dir.is_absolute()) {
      return fail(ErrorCode::Validation, "runtime_dir_path: GEYSER_RUNTIME_DIR \"" + dir.native() +
                                             "\" is not an absolute path");
    }
    return dir;
  }
  // The XDG Base Directory spec says to ignore a relative XDG_RUNTIME_DIR.
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "geyser";
  }
  return std::filesystem::path("/tmp/geyser-" + std::to_string(::geteuid()));
}

Result<void> ensure_private_dir(const std::filesystem::path& dir) {
  GEYSER_TRY(UniqueFd fd, open_dir(dir, true, true));
  return {};
}

Result<PrivateDir> PrivateDir::open(const std::filesystem::path& dir) {
  GEYSER_TRY(UniqueFd fd, open_dir(dir, true, true));
  return PrivateDir(std::move(fd), dir);
}

Result<PrivateDir> PrivateDir::open_existing(const std::filesystem::path& dir) {
  GEYSER_TRY(UniqueFd fd, open_dir(dir, false, false));
  return PrivateDir(std::move(fd), dir);
}

std::filesystem::path PrivateDir::entry(std::string_view entry) const {
  return std::filesystem::path("/proc/self/fd/" + std::to_string(fd_.get())) / std::string(entry);
}

Result<std::filesystem::path> runtime_dir() {
  GEYSER_TRY(std::filesystem::path dir, runtime_dir_path());
  GEYSER_TRY_VOID(ensure_private_dir(dir));
  return dir;
}

Result<std::filesystem::path> channel_socket_path(const std::filesystem::path& dir,
                                                  std::string_view name) {
  GEYSER_TRY_VOID(validate_channel_name(name));
  std::filesystem::path path = dir / (std::string(name) + ".sock");
  constexpr std::size_t kSunPathSize = sizeof(sockaddr_un{}.sun_path);
  if (path.native().size() >= kSunPathSize) {
    return fail(ErrorCode::Validation, "channel_socket_path: \"" + path.native() + "\" is " +
                                           std::to_string(path.native().size()) +
                                           " bytes; a Unix socket path holds at most " +
                                           std::to_string(kSunPathSize - 1) +
                                           " (use a shorter GEYSER_RUNTIME_DIR)");
  }
  return path;
}

Result<ChannelListener> publish_channel(const std::filesystem::path& dir, std::string_view name) {
  GEYSER_TRY_VOID(channel_socket_path(dir, name));
  GEYSER_TRY(const PrivateDir held, PrivateDir::open(dir));
  return publish_channel(held, name);
}

Result<ChannelListener> publish_channel(const PrivateDir& dir, std::string_view name) {
  GEYSER_TRY(const std::filesystem::path shown_path, channel_socket_path(dir.path(), name));
  // Everything below happens in the directory that was checked: relative to its handle
  // (our own duplicate, kept by the listener), never by its path again.
  GEYSER_TRY(UniqueFd dir_fd, dir.duplicate_fd());
  const std::string socket_name = std::string(name) + ".sock";
  const std::filesystem::path socket_path =
      std::filesystem::path("/proc/self/fd/" + std::to_string(dir_fd.get())) / socket_name;
  // The lock decides who owns the name. Without it two publishers that both found a stale
  // socket could each unlink and rebind, the second removing the first one's live socket.
  const std::filesystem::path lock_path = dir.path() / (std::string(name) + ".lock");
  UniqueFd lock(::openat(dir_fd.get(), (std::string(name) + ".lock").c_str(),
                         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock) {
    return fail(Error::from_errno(code_for_errno(errno),
                                  "publish_channel: open(\"" + lock_path.native() + "\")", errno));
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return fail(ErrorCode::Validation, already_published(name));
    return fail(Error::from_errno(ErrorCode::Internal,
                                  "publish_channel: flock(\"" + lock_path.native() + "\")", errno));
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto listener = Listener::bind(socket_path);
    if (listener) {
      return ChannelListener(std::move(dir_fd), std::move(lock), std::move(listener).value(),
                             std::string(name));
    }
    if (!is_errno(listener.error(), EADDRINUSE)) return fail(std::move(listener).error());
    // Something is at the path. Never remove what is not a socket.
    struct stat info {};
    if (::fstatat(dir_fd.get(), socket_name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISSOCK(info.st_mode)) {
      return fail(ErrorCode::Validation, "publish_channel: " + shown_path.native() +
                                             " exists and is not a socket; not removing it");
    }
    // A live sender (one that predates the lock, or whose lock file was removed) accepts
    // the connection; a dead one's socket refuses it.
    auto probe = connect_to(socket_path, Milliseconds(100));
    if (probe) return fail(ErrorCode::Validation, already_published(name));
    if (probe.error().code() == ErrorCode::Timeout) {  // backlog full: alive and busy
      return fail(ErrorCode::Validation, already_published(name));
    }
    if (probe.error().code() != ErrorCode::Disconnected) return fail(std::move(probe).error());
    if (::unlinkat(dir_fd.get(), socket_name.c_str(), 0) != 0 && errno != ENOENT) {
      return fail(Error::from_errno(
          code_for_errno(errno),
          "publish_channel: unlink stale socket \"" + shown_path.native() + "\"", errno));
    }
  }
  return fail(ErrorCode::Internal, "publish_channel: " + shown_path.native() +
                                       " is still in use after removing a stale socket");
}

Result<UniqueFd> connect_channel(const std::filesystem::path& dir, std::string_view name,
                                 Milliseconds timeout) {
  GEYSER_TRY_VOID(channel_socket_path(dir, name));
  auto held = PrivateDir::open_existing(dir);
  if (!held) {
    if (is_errno(held.error(), ENOENT)) {
      return fail(Error(ErrorCode::Disconnected,
                        "connect_channel: no sender publishes channel " + std::string(name) + " (" +
                            held.error().message() + ")",
                        held.error().native_domain(), held.error().native_code()));
    }
    return fail(std::move(held).error());
  }
  return connect_channel(*held, name, timeout);
}

Result<UniqueFd> connect_channel(const PrivateDir& dir, std::string_view name,
                                 Milliseconds timeout) {
  GEYSER_TRY_VOID(channel_socket_path(dir.path(), name));
  auto socket = connect_to(dir.entry(std::string(name) + ".sock"), timeout);
  if (!socket && socket.error().code() == ErrorCode::Disconnected) {
    return fail(Error(ErrorCode::Disconnected,
                      "connect_channel: no sender publishes channel " + std::string(name) + " (" +
                          socket.error().message() + ")",
                      socket.error().native_domain(), socket.error().native_code()));
  }
  return socket;
}

Result<std::vector<std::string>> list_channels(const std::filesystem::path& dir) {
  auto held = PrivateDir::open_existing(dir);
  if (!held) {
    const Error& error = held.error();
    if (error.native_domain() == NativeDomain::Errno) {
      return fail(
          Error::from_errno(code_for_errno(static_cast<int>(error.native_code())),
                            "list_channels: open \"" + dir.native() + "\": " + error.message(),
                            static_cast<int>(error.native_code())));
    }
    return fail(std::move(held).error());
  }
  return list_channels(*held);
}

Result<std::vector<std::string>> list_channels(const PrivateDir& dir) {
  const std::string& text = dir.path().native();
  UniqueFd readable(::openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!readable) return fail(errno_failure("list_channels: open \"" + text + "\"", errno));
  DIR* stream = ::fdopendir(readable.get());
  if (stream == nullptr) {
    return fail(errno_failure("list_channels: fdopendir \"" + text + "\"", errno));
  }
  (void)readable.release();  // closedir closes it
  std::vector<std::string> names;
  constexpr std::string_view kSuffix = ".sock";
  int err = 0;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(stream);
    if (entry == nullptr) {
      err = errno;
      break;
    }
    const std::string file = entry->d_name;
    if (file.size() <= kSuffix.size() || !file.ends_with(kSuffix)) continue;
    std::string name = file.substr(0, file.size() - kSuffix.size());
    if (!validate_channel_name(name)) continue;
    struct stat info {};
    if (::fstatat(::dirfd(stream), file.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISSOCK(info.st_mode)) continue;
    names.push_back(std::move(name));
  }
  ::closedir(stream);
  if (err != 0) return fail(errno_failure("list_channels: read \"" + text + "\"", err));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace geyser::ipc
