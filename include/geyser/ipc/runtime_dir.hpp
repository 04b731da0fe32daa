// Channel names and where their sockets live: a private runtime directory (docs/architecture.md,
// "Channels").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/ipc/channel_name.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/unique_fd.hpp"

namespace geyser::ipc {

/// Where the runtime directory is, without touching the filesystem: $GEYSER_RUNTIME_DIR if
/// set and non-empty (must be absolute: Validation otherwise), else $XDG_RUNTIME_DIR/geyser
/// if $XDG_RUNTIME_DIR is set and absolute, else /tmp/geyser-$UID (effective uid). On Windows:
/// %GEYSER_RUNTIME_DIR% (absolute), else %LOCALAPPDATA%\geyser, where the pipes' markers live.
[[nodiscard]] Result<std::filesystem::path> runtime_dir_path();

/// Makes sure `dir` is a private directory of ours: creates it with mode 0700 if it is
/// missing (its parent must exist), then refuses it with PermissionDenied, saying why, if it
/// is a symlink (checked with lstat, so never followed), not a directory, owned by another
/// uid or has any group/other permission bit.
[[nodiscard]] Result<void> ensure_private_dir(const std::filesystem::path& dir);

/// A private directory held open: the directory ensure_private_dir() checked, as an
/// O_PATH|O_DIRECTORY|O_NOFOLLOW descriptor, so that what is done in it later (the lock
/// file by openat, sockets bound and connected through /proc/self/fd/N) happens in that
/// directory even if its path is renamed or replaced by a symlink afterwards. Move-only.
class PrivateDir {
 public:
  /// ensure_private_dir(dir), then opens it without following a symlink and checks the
  /// open directory (fstat): a directory, owned by us, no group/other permission bits.
  [[nodiscard]] static Result<PrivateDir> open(const std::filesystem::path& dir);
  /// Opens `dir` for a client (connect, list): not through a symlink, a directory, but not
  /// required to be ours (root may reach a user's channel). Never creates it.
  [[nodiscard]] static Result<PrivateDir> open_existing(const std::filesystem::path& dir);
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// A duplicate of the directory handle (for what must outlive this object).
  [[nodiscard]] Result<UniqueFd> duplicate_fd() const { return fd_.duplicate(); }
  /// "/proc/self/fd/N/<entry>": `entry` in the held directory, for bind and connect.
  [[nodiscard]] std::filesystem::path entry(std::string_view entry) const;

 private:
  PrivateDir(UniqueFd fd, std::filesystem::path path) noexcept
      : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::filesystem::path path_;
};

/// runtime_dir_path() made sure of with ensure_private_dir(); on Windows runtime_dir_win32().
/// The rest of this header is POSIX only.
[[nodiscard]] Result<std::filesystem::path> runtime_dir();

/// "<dir>/<name>.sock" for a valid name; Validation if the name is invalid or the path does
/// not fit sockaddr_un::sun_path (107 bytes and a NUL).
[[nodiscard]] Result<std::filesystem::path> channel_socket_path(const std::filesystem::path& dir,
                                                                std::string_view name);

/// A published channel: the listening socket at "<dir>/<name>.sock" and an exclusive
/// flock on "<dir>/<name>.lock" that says this process owns the name. Move-only.
/// Destroying it unlinks the socket, then drops the lock. The lock file is left in place:
/// unlinking a lock file races with the next publisher opening it. Not thread-safe.
class ChannelListener {
 public:
  [[nodiscard]] const Listener& listener() const noexcept { return listener_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Accepts one connection; see Listener::accept.
  [[nodiscard]] Result<UniqueFd> accept(Milliseconds timeout) const {
    return listener_.accept(timeout);
  }

 private:
  friend Result<ChannelListener> publish_channel(const PrivateDir&, std::string_view);
  ChannelListener(UniqueFd dir, UniqueFd lock, Listener listener, std::string name) noexcept
      : dir_(std::move(dir)),
        lock_(std::move(lock)),
        listener_(std::move(listener)),
        name_(std::move(name)) {}
  // The directory the socket was bound in (its path goes through /proc/self/fd/N): closed
  // last, after the socket is unlinked.
  UniqueFd dir_;
  // Declared before listener_ so that it is released after the socket is unlinked.
  UniqueFd lock_;
  Listener listener_;
  std::string name_;
};

/// Publishes channel `name` in `dir` (which should have passed ensure_private_dir). A stale
/// socket left by a dead sender (connect refused) is unlinked and replaced. Fails with
/// Validation "channel NAME is already published" when a live sender holds the name (its
/// lock is held or its socket accepts connections), Validation for a bad name, or when
/// "<name>.sock" exists and is not a socket (never removed).
[[nodiscard]] Result<ChannelListener> publish_channel(const std::filesystem::path& dir,
                                                      std::string_view name);
/// The same in a directory already held open: the lock and socket land in it.
[[nodiscard]] Result<ChannelListener> publish_channel(const PrivateDir& dir, std::string_view name);

/// Connects to channel `name` in `dir`. Disconnected when no sender publishes it.
[[nodiscard]] Result<UniqueFd> connect_channel(const std::filesystem::path& dir,
                                               std::string_view name, Milliseconds timeout);
/// The same in a directory held open.
[[nodiscard]] Result<UniqueFd> connect_channel(const PrivateDir& dir, std::string_view name,
                                               Milliseconds timeout);

/// The names of the channels whose sockets are in `dir` (entries "<valid name>.sock" that
/// are sockets), sorted. Does not check that their senders are alive; a stale one answers
/// connect with Disconnected. Internal/PermissionDenied when the directory cannot be read.
[[nodiscard]] Result<std::vector<std::string>> list_channels(const std::filesystem::path& dir);
/// The same in a directory held open.
[[nodiscard]] Result<std::vector<std::string>> list_channels(const PrivateDir& dir);

}  // namespace geyser::ipc
