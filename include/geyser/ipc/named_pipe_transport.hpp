// The transport on Windows: one message-mode named pipe per user and channel,
// "\\.\pipe\geyser-<user SID>-<channel>", whose DACL admits only that user. Handles travel
// by DuplicateHandle into the peer's process (found with GetNamedPipeClientProcessId or
// GetNamedPipeServerProcessId); a message carries their values. docs/windows.md.
//
// What differs from the Unix transport: channel names are case-insensitive (two names that
// differ only in case are one channel); both ends refuse a peer of another user at connect
// time, since a message's handle values can only be trusted from a peer that could open our
// process anyway; a name stays taken while connections accepted on it live.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/ipc/transport.hpp"

namespace geyser::ipc {

/// Channels as named pipes of this process's user. Thread-safe: it holds only the marker
/// directory.
///
/// listen publishes a pipe and, beside it, two things that die with the process: a named
/// mutex "Local\geyser-<SID>-<channel>" (who holds the name: Wine 8 does not enforce
/// FILE_FLAG_FIRST_PIPE_INSTANCE) and a delete-on-close marker "<dir>\<channel>.channel"
/// (what list() reads where the OS cannot enumerate \\.\pipe\, as Wine 8 cannot).
class NamedPipeTransport final : public Transport {
 public:
  /// Longest message send accepts (the wire's largest is 64 KiB and 16 bytes).
  static constexpr std::size_t kMaxMessageBytes = 128 * 1024;
  /// Most handles one message may carry (as on Unix sockets).
  static constexpr std::size_t kMaxHandles = 253;

  /// Over the marker directory `dir`, which must exist (runtime_dir_win32()).
  explicit NamedPipeTransport(std::filesystem::path dir) : dir_(std::move(dir)) {}

  /// Validation for a bad name or "channel NAME is already published" while a live
  /// listener (of this user) holds it; PermissionDenied when another user squats the name.
  [[nodiscard]] Result<std::unique_ptr<TransportListener>> listen(std::string_view name) override;
  /// Disconnected when nobody publishes `name`; Timeout when every instance stays busy for
  /// `timeout`; PermissionDenied when the pipe's server runs as another user.
  [[nodiscard]] Result<std::unique_ptr<Connection>> connect(std::string_view name,
                                                            Milliseconds timeout) override;
  /// The channels of this user: the pipes enumerated under \\.\pipe\ where the OS allows it,
  /// and the markers in the directory, sorted and without duplicates.
  [[nodiscard]] Result<std::vector<std::string>> list() override;
  /// "pipe:\\.\pipe\geyser-<SID>-*".
  [[nodiscard]] std::string describe() const override;
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

  /// "\\.\pipe\geyser-<SID>-<name>" for a valid name (Validation otherwise).
  [[nodiscard]] static Result<std::wstring> pipe_path(std::string_view name);

 private:
  std::filesystem::path dir_;
};

/// Where the markers live: %GEYSER_RUNTIME_DIR% if set (absolute: Validation otherwise), else
/// %LOCALAPPDATA%\geyser; created (readable by our user only) when missing.
[[nodiscard]] Result<std::filesystem::path> runtime_dir_win32();

}  // namespace geyser::ipc
