// The Transport interface over named pipes (Windows): listen, connect, list.
#include "geyser/ipc/named_pipe_transport.hpp"

#include <windows.h>

#include <algorithm>
#include <chrono>

#include "geyser/ipc/channel_name.hpp"
#include "geyser/win32_error.hpp"
#include "named_pipe_connection.hpp"
#include "named_pipe_listener.hpp"
#include "pipe_names.hpp"

namespace geyser::ipc {
namespace {

using Clock = std::chrono::steady_clock;

// Opens the client end, waiting for a free instance while every one is busy.
Result<UniqueHandle> open_client(const std::wstring& path, std::string_view name,
                                 Milliseconds timeout) {
  const auto deadline = Clock::now() + std::min<Milliseconds>(timeout, std::chrono::hours(24));
  for (;;) {
    // SECURITY_IDENTIFICATION: the server may learn who we are, not act as us.
    UniqueHandle pipe(CreateFileW(
        path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
    if (pipe) return pipe;
    const DWORD err = GetLastError();
    const std::string what = "NamedPipeTransport::connect: channel " + std::string(name);
    if (err == ERROR_FILE_NOT_FOUND) {
      return fail(win32_error(ErrorCode::Disconnected, what + ": nobody publishes it", err));
    }
    if (err == ERROR_ACCESS_DENIED)
      return fail(win32_error(ErrorCode::PermissionDenied, what, err));
    if (err != ERROR_PIPE_BUSY) return fail(win32_error(ErrorCode::Internal, what, err));
    const auto left = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now());
    if (left <= Milliseconds(0)) {
      return fail(ErrorCode::Timeout, what + ": every instance stayed busy for " +
                                          std::to_string(timeout.count()) + " ms");
    }
    // Returns once an instance is free, the wait ran out or the pipe is gone; the next
    // CreateFileW tells which.
    (void)WaitNamedPipeW(path.c_str(), win32::wait_ms(left));
  }
}

Result<void> set_message_mode(HANDLE pipe) {
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr)) {
    return fail(last_win32_error(ErrorCode::Internal,
                                 "NamedPipeTransport::connect: SetNamedPipeHandleState"));
  }
  return {};
}

// Every name FindFirstFileW yields for `pattern`, or false when the pattern cannot be
// enumerated at all (Wine 8 cannot enumerate \\.\pipe\: ERROR_BAD_DEV_TYPE).
bool find_names(const std::wstring& pattern, std::vector<std::wstring>& out) {
  WIN32_FIND_DATAW found{};
  const HANDLE search = FindFirstFileW(pattern.c_str(), &found);
  if (search == INVALID_HANDLE_VALUE) return GetLastError() == ERROR_FILE_NOT_FOUND;
  do {
    out.emplace_back(found.cFileName);
  } while (FindNextFileW(search, &found));
  FindClose(search);
  return true;
}

// The channel in `entry` when it is "<prefix><valid name><suffix>".
void add_channel(std::wstring_view entry, std::string_view prefix, std::string_view suffix,
                 std::vector<std::string>& names) {
  std::string text;
  if (!pipe_names::narrow(entry, text)) return;
  if (text.size() <= prefix.size() + suffix.size()) return;
  if (text.compare(0, prefix.size(), prefix) != 0) return;
  if (text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0) return;
  std::string name = text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
  if (validate_channel_name(name)) names.push_back(std::move(name));
}

}  // namespace

Result<std::wstring> NamedPipeTransport::pipe_path(std::string_view name) {
  return pipe_names::pipe(name);
}

Result<std::unique_ptr<TransportListener>> NamedPipeTransport::listen(std::string_view name) {
  GEYSER_TRY(auto listener, NamedPipeListener::create(dir_, name));
  return std::unique_ptr<TransportListener>(std::move(listener));
}

Result<std::unique_ptr<Connection>> NamedPipeTransport::connect(std::string_view name,
                                                                Milliseconds timeout) {
  GEYSER_TRY(const std::wstring path, pipe_names::pipe(name));
  GEYSER_TRY(UniqueHandle pipe, open_client(path, name, timeout));
  GEYSER_TRY_VOID(set_message_mode(pipe.get()));
  GEYSER_TRY(auto connection,
             NamedPipeConnection::adopt(std::move(pipe), NamedPipeConnection::End::Client));
  return std::unique_ptr<Connection>(std::move(connection));
}

Result<std::vector<std::string>> NamedPipeTransport::list() {
  GEYSER_TRY(const std::string prefix, pipe_names::user_prefix());
  std::vector<std::string> names;
  std::vector<std::wstring> entries;
  if (find_names(L"\\\\.\\pipe\\*", entries)) {
    for (const auto& entry : entries) add_channel(entry, prefix, "", names);
  }
  entries.clear();
  if (find_names((dir_ / (L"*" + pipe_names::widen(pipe_names::kMarkerExtension))).wstring(),
                 entries)) {
    for (const auto& entry : entries) add_channel(entry, "", pipe_names::kMarkerExtension, names);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string NamedPipeTransport::describe() const {
  auto prefix = pipe_names::user_prefix();
  return "pipe:\\\\.\\pipe\\" + (prefix ? *prefix : std::string("geyser-?-")) + "*";
}

Result<std::shared_ptr<Transport>> default_transport(const std::filesystem::path& runtime_dir) {
  std::filesystem::path dir = runtime_dir;
  if (dir.empty()) {
    GEYSER_TRY(dir, runtime_dir_win32());
  }
  return std::shared_ptr<Transport>(std::make_shared<NamedPipeTransport>(std::move(dir)));
}

}  // namespace geyser::ipc
