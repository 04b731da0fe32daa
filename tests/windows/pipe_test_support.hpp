// What the named pipe tests and their peer process share (Windows): a private marker
// directory, unique channel names, the peer process, handle counts, shared-memory helpers.
#pragma once

#include <windows.h>

#include <filesystem>
#include <string>
#include <vector>

#include "geyser/unique_handle.hpp"

namespace geyser::test {

/// A fresh directory under %TEMP% for one test's markers, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// "t<pid>-<n>-<tag>": a channel name no other test or run uses.
[[nodiscard]] std::string unique_channel(const std::string& tag);

/// A child process running geyser_pipe_peer.exe, or another test peer (found beside this
/// executable).
class PeerProcess {
 public:
  /// Starts the peer with `args`; an empty process when CreateProcessW failed.
  explicit PeerProcess(const std::vector<std::wstring>& args)
      : PeerProcess(L"geyser_pipe_peer.exe", args) {}
  /// Starts `exe` (found beside this executable) with `args`.
  PeerProcess(const std::wstring& exe, const std::vector<std::wstring>& args);
  /// Waits at most `ms` for the child to end: its exit code, or ~0u on a timeout (the child
  /// is then killed).
  [[nodiscard]] DWORD wait(DWORD ms);
  [[nodiscard]] bool started() const noexcept { return process_.valid(); }
  [[nodiscard]] DWORD pid() const noexcept { return pid_; }

 private:
  UniqueHandle process_;
  DWORD pid_ = 0;
};

/// How many handles this process has open (probed: see the source).
[[nodiscard]] DWORD handle_count();

/// A pagefile-backed section of `size` bytes, read-write, unnamed.
[[nodiscard]] UniqueHandle make_section(DWORD size);
/// A manual-reset event, not signalled, unnamed.
[[nodiscard]] UniqueHandle make_event();

/// Reads `size` bytes of `section` from its start (a view mapped and unmapped).
[[nodiscard]] std::string read_section(HANDLE section, std::size_t size);
/// Writes `text` and a NUL at the start of `section`.
[[nodiscard]] bool write_section(HANDLE section, const std::string& text);

}  // namespace geyser::test
