#include "named_pipe_listener.hpp"

#include "geyser/win32_error.hpp"
#include "named_pipe_connection.hpp"
#include "pipe_names.hpp"

namespace geyser::ipc {
namespace {

constexpr DWORD kPipeBufferSize = 64 * 1024;

std::string already_published(std::string_view name) {
  return "NamedPipeTransport::listen: channel " + std::string(name) + " is already published";
}

}  // namespace

Result<std::unique_ptr<NamedPipeListener>> NamedPipeListener::create(
    const std::filesystem::path& dir, std::string_view name) {
  GEYSER_TRY(std::wstring pipe, pipe_names::pipe(name));
  GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create());
  GEYSER_TRY(auto connect, win32::OverlappedOp::create("NamedPipeTransport::listen"));
  std::unique_ptr<NamedPipeListener> listener(new NamedPipeListener(
      std::string(name), std::move(pipe), std::move(security), std::move(connect)));
  GEYSER_TRY_VOID(listener->take_name(dir));
  GEYSER_TRY_VOID(listener->arm(true));
  return listener;
}

NamedPipeListener::~NamedPipeListener() {
  if (connect_in_flight_) connect_.cancel(instance_.get());
}

// The mutex first: whoever created it holds the name until its process ends. Then the
// marker, which only the holder writes.
Result<void> NamedPipeListener::take_name(const std::filesystem::path& dir) {
  GEYSER_TRY(const std::wstring mutex, pipe_names::mutex(name_));
  lock_.reset(CreateMutexW(security_.attributes(), FALSE, mutex.c_str()));
  const DWORD err = GetLastError();
  if (!lock_) {
    if (err == ERROR_ACCESS_DENIED) {
      return fail(win32_error(ErrorCode::PermissionDenied,
                              already_published(name_) + " by another user", err));
    }
    return fail(win32_error(ErrorCode::Internal, "NamedPipeTransport::listen: CreateMutexW", err));
  }
  if (err == ERROR_ALREADY_EXISTS) {
    lock_.reset();
    return fail(ErrorCode::Validation, already_published(name_));
  }
  const std::filesystem::path marker = pipe_names::marker(dir, name_);
  marker_.reset(CreateFileW(marker.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                            security_.attributes(), CREATE_ALWAYS,
                            FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr));
  if (!marker_) {
    return fail(last_win32_error(
        ErrorCode::Internal, "NamedPipeTransport::listen: CreateFileW(" + marker.string() + ")"));
  }
  return {};
}

// A new instance of the pipe with a ConnectNamedPipe in flight on it.
Result<void> NamedPipeListener::arm(bool first) {
  const DWORD open_mode =
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  const DWORD pipe_mode =
      PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
  instance_.reset(CreateNamedPipeW(pipe_.c_str(), open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES,
                                   kPipeBufferSize, kPipeBufferSize, 0, security_.attributes()));
  if (!instance_) {
    const DWORD err = GetLastError();
    // With FILE_FLAG_FIRST_PIPE_INSTANCE: someone else made the pipe first.
    if (first && err == ERROR_ACCESS_DENIED) {
      return fail(win32_error(ErrorCode::PermissionDenied,
                              already_published(name_) + " (its pipe exists)", err));
    }
    return fail(
        win32_error(ErrorCode::Internal, "NamedPipeTransport::listen: CreateNamedPipeW", err));
  }
  connect_in_flight_ = false;
  if (!ConnectNamedPipe(instance_.get(), connect_.start())) {
    const DWORD err = GetLastError();
    if (err == ERROR_PIPE_CONNECTED) {
      connect_.signal();  // a client came between CreateNamedPipe and ConnectNamedPipe
      return {};
    }
    if (err != ERROR_IO_PENDING) {
      return fail(win32_error(ErrorCode::Internal, "NamedPipeTransport: ConnectNamedPipe", err));
    }
  }
  connect_in_flight_ = true;
  return {};
}

// The instance a client connected to, once the wait said one did; a new instance waits.
Result<UniqueHandle> NamedPipeListener::take_connected() {
  DWORD err = ERROR_SUCCESS;
  if (connect_in_flight_) {
    DWORD unused = 0;
    if (!GetOverlappedResult(instance_.get(), connect_.overlapped(), &unused, FALSE)) {
      err = GetLastError();
    }
  }
  connect_in_flight_ = false;
  UniqueHandle connected = std::move(instance_);
  GEYSER_TRY_VOID(arm(false));
  if (err != ERROR_SUCCESS && err != ERROR_PIPE_CONNECTED) {
    // ERROR_NO_DATA: the client closed its end before we got to it.
    return fail(win32_error(ErrorCode::Disconnected,
                            "NamedPipeTransport::accept: the client went away", err));
  }
  return connected;
}

Result<std::unique_ptr<Connection>> NamedPipeListener::accept(Milliseconds timeout) {
  if (!connect_.wait(timeout)) {
    return fail(ErrorCode::Timeout, "NamedPipeTransport::accept: no connection on channel " +
                                        name_ + " within " + std::to_string(timeout.count()) +
                                        " ms");
  }
  GEYSER_TRY(UniqueHandle pipe, take_connected());
  GEYSER_TRY(auto connection,
             NamedPipeConnection::adopt(std::move(pipe), NamedPipeConnection::End::Server));
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace geyser::ipc
