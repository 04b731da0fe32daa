#include "named_pipe_connection.hpp"

#include <string>

#include "geyser/ipc/named_pipe_transport.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"
#include "pipe_frame.hpp"
#include "remote_handles.hpp"

namespace geyser::ipc {
namespace {

constexpr std::size_t kReadBufferSize = pipe_frame::kHeaderSize +
                                        NamedPipeTransport::kMaxHandles * pipe_frame::kHandleSize +
                                        NamedPipeTransport::kMaxMessageBytes;
// How much of an oversized message is kept, to close the handles it claims: a header and
// the most handle values a header can count.
constexpr std::size_t kLongestClaim = pipe_frame::kHeaderSize + 65535 * pipe_frame::kHandleSize;

bool is_closed_pipe(DWORD err) {
  return err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED || err == ERROR_NO_DATA;
}

Error pipe_error(const char* what, DWORD err) {
  if (is_closed_pipe(err)) {
    return Error(ErrorCode::Disconnected, std::string(what) + ": the peer closed the connection",
                 NativeDomain::Win32, static_cast<std::int64_t>(err));
  }
  return win32_error(ErrorCode::Internal, what, err);
}

Result<unsigned long> peer_pid(HANDLE pipe, NamedPipeConnection::End end) {
  ULONG pid = 0;
  const bool ok = end == NamedPipeConnection::End::Server ? GetNamedPipeClientProcessId(pipe, &pid)
                                                          : GetNamedPipeServerProcessId(pipe, &pid);
  if (!ok || pid == 0) {
    return fail(last_win32_error(ErrorCode::Internal, "named pipe: the peer's process id"));
  }
  return pid;
}

Result<UniqueHandle> open_peer(unsigned long pid) {
  constexpr DWORD kAccess = PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE;
  UniqueHandle process(OpenProcess(kAccess, FALSE, pid));
  if (!process) {
    const DWORD err = GetLastError();
    // ERROR_INVALID_PARAMETER: no process has that id any more.
    const ErrorCode code = err == ERROR_INVALID_PARAMETER ? ErrorCode::Disconnected
                           : err == ERROR_ACCESS_DENIED   ? ErrorCode::PermissionDenied
                                                          : ErrorCode::Internal;
    return fail(
        win32_error(code, "named pipe: OpenProcess(peer pid " + std::to_string(pid) + ")", err));
  }
  return process;
}

Result<void> check_same_user(const PeerCredentials& peer) {
  GEYSER_TRY(const std::string ours, win32::current_user_sid());
  if (peer.sid == ours) return {};
  return fail(ErrorCode::PermissionDenied, "named pipe: peer pid " + std::to_string(peer.pid) +
                                               " runs as SID " + peer.sid + ", not as our " + ours +
                                               "; the transport admits only our user");
}

Result<void> check_send(std::span<const std::uint8_t> bytes,
                        std::span<const NativeHandle> handles) {
  if (bytes.empty()) return fail(ErrorCode::Validation, "named pipe send: message is empty");
  if (bytes.size() > NamedPipeTransport::kMaxMessageBytes) {
    return fail(ErrorCode::Validation, "named pipe send: message of " +
                                           std::to_string(bytes.size()) + " bytes, at most " +
                                           std::to_string(NamedPipeTransport::kMaxMessageBytes));
  }
  if (handles.size() > NamedPipeTransport::kMaxHandles) {
    return fail(ErrorCode::Validation, "named pipe send: " + std::to_string(handles.size()) +
                                           " handles attached, at most " +
                                           std::to_string(NamedPipeTransport::kMaxHandles));
  }
  return {};
}

// The handles a frame claims, owned from here on, so that every way out closes them.
std::vector<UniqueHandle> own_handles(std::span<const std::uint8_t> frame) {
  std::vector<UniqueHandle> owned;
  for (const std::uint64_t value : pipe_frame::handle_values(frame)) {
    owned.emplace_back(reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value)));
  }
  return owned;
}

Result<Packet> unpack(const std::vector<std::uint8_t>& frame, bool whole, std::size_t max_bytes,
                      std::size_t max_handles) {
  std::vector<UniqueHandle> handles = own_handles(frame);
  const std::string closed = "; closed its " + std::to_string(handles.size()) + " handles";
  if (!whole) {
    return fail(ErrorCode::Protocol, "named pipe receive: message longer than the transport's " +
                                         std::to_string(kReadBufferSize) + " bytes" + closed);
  }
  auto bytes = pipe_frame::payload(frame);
  if (!bytes) return fail(Error(ErrorCode::Protocol, bytes.error().message() + closed));
  if (handles.size() > max_handles) {
    return fail(ErrorCode::Protocol, "named pipe receive: " + std::to_string(handles.size()) +
                                         " handles attached, at most " +
                                         std::to_string(max_handles) + " allowed" + closed);
  }
  if (bytes->size() > max_bytes) {
    return fail(ErrorCode::Protocol, "named pipe receive: message of " +
                                         std::to_string(bytes->size()) + " bytes, longer than " +
                                         std::to_string(max_bytes) + closed);
  }
  return Packet{{bytes->begin(), bytes->end()}, std::move(handles)};
}

}  // namespace

NamedPipeConnection::NamedPipeConnection(UniqueHandle pipe, UniqueHandle process,
                                         PeerCredentials peer, win32::OverlappedOp read,
                                         win32::OverlappedOp write)
    : pipe_(std::move(pipe)),
      process_(std::move(process)),
      peer_(std::move(peer)),
      read_(std::move(read)),
      write_(std::move(write)),
      read_buffer_(kReadBufferSize) {}

Result<std::unique_ptr<NamedPipeConnection>> NamedPipeConnection::adopt(UniqueHandle pipe,
                                                                        End end) {
  GEYSER_TRY(const unsigned long pid, peer_pid(pipe.get(), end));
  GEYSER_TRY(UniqueHandle process, open_peer(pid));
  GEYSER_TRY(std::string sid, win32::process_user_sid(process.get()));
  PeerCredentials peer{pid, std::move(sid)};
  GEYSER_TRY_VOID(check_same_user(peer));
  GEYSER_TRY(auto read, win32::OverlappedOp::create("named pipe connection"));
  GEYSER_TRY(auto write, win32::OverlappedOp::create("named pipe connection"));
  std::unique_ptr<NamedPipeConnection> connection(new NamedPipeConnection(
      std::move(pipe), std::move(process), std::move(peer), std::move(read), std::move(write)));
  connection->start_read();
  return connection;
}

NamedPipeConnection::~NamedPipeConnection() {
  if (read_in_flight_) read_.cancel(pipe_.get());
}

// Keeps one read in flight, so that the event says when the next message (or the close)
// is there. A read that fails at once leaves the error for receive and the event set.
void NamedPipeConnection::start_read() noexcept {
  read_in_flight_ = false;
  if (read_error_ != ERROR_SUCCESS) return;
  if (!ReadFile(pipe_.get(), read_buffer_.data(), static_cast<DWORD>(read_buffer_.size()), nullptr,
                read_.start())) {
    const DWORD err = GetLastError();
    if (err != ERROR_IO_PENDING && err != ERROR_MORE_DATA) {
      read_error_ = err;
      read_.signal();
      return;
    }
  }
  read_in_flight_ = true;
}

Result<Packet> NamedPipeConnection::receive(std::size_t max_bytes, std::size_t max_handles,
                                            Milliseconds timeout) {
  if (!read_in_flight_) start_read();
  if (read_error_ != ERROR_SUCCESS) return fail(pipe_error("named pipe receive", read_error_));
  DWORD size = 0;
  bool whole = false;
  DWORD err = ERROR_SUCCESS;
  for (;;) {
    if (!read_.wait(timeout)) {
      return fail(ErrorCode::Timeout, "named pipe receive: no message within " +
                                          std::to_string(timeout.count()) + " ms");
    }
    whole = GetOverlappedResult(pipe_.get(), read_.overlapped(), &size, FALSE);
    err = whole ? ERROR_SUCCESS : GetLastError();
    read_in_flight_ = false;
    if (whole || err != ERROR_OPERATION_ABORTED) break;
    // Only the destructor cancels our read: this one was issued by a thread that has ended
    // since, and Windows cancels a thread's I/O with it. Nothing was read; read again here.
    start_read();
    if (read_error_ != ERROR_SUCCESS) return fail(pipe_error("named pipe receive", read_error_));
  }
  if (!whole && err != ERROR_MORE_DATA) {
    read_error_ = err;
    read_.signal();
    return fail(pipe_error("named pipe receive", err));
  }
  std::vector<std::uint8_t> frame(read_buffer_.begin(), read_buffer_.begin() + size);
  if (!whole) GEYSER_TRY_VOID(drain_rest(frame));
  start_read();
  return unpack(frame, whole, max_bytes, max_handles);
}

// Reads the rest of a message longer than the read buffer, keeping what may name handles.
Result<void> NamedPipeConnection::drain_rest(std::vector<std::uint8_t>& message) {
  std::vector<std::uint8_t> chunk(64 * 1024);
  for (;;) {
    DWORD size = 0;
    // The rest of the message is already in the pipe: this read completes at once.
    BOOL done = ReadFile(pipe_.get(), chunk.data(), static_cast<DWORD>(chunk.size()), nullptr,
                         read_.start());
    DWORD err = done ? ERROR_SUCCESS : GetLastError();
    if (err == ERROR_IO_PENDING) {
      done = GetOverlappedResult(pipe_.get(), read_.overlapped(), &size, TRUE);
      err = done ? ERROR_SUCCESS : GetLastError();
    } else {
      (void)GetOverlappedResult(pipe_.get(), read_.overlapped(), &size, FALSE);
    }
    if (err != ERROR_SUCCESS && err != ERROR_MORE_DATA) {
      read_error_ = err;
      read_.signal();
      return fail(pipe_error("named pipe receive", err));
    }
    const std::size_t keep =
        std::min<std::size_t>(size, kLongestClaim - std::min(kLongestClaim, message.size()));
    message.insert(message.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(keep));
    if (err == ERROR_SUCCESS) return {};
  }
}

Result<void> NamedPipeConnection::send(std::span<const std::uint8_t> bytes,
                                       std::span<const NativeHandle> handles,
                                       Milliseconds timeout) {
  GEYSER_TRY_VOID(check_send(bytes, handles));
  std::lock_guard lock(send_mutex_);
  GEYSER_TRY(win32::RemoteHandles remote, win32::RemoteHandles::duplicate(process_.get(), handles));
  GEYSER_TRY_VOID(write_frame(pipe_frame::encode(remote.values(), bytes), timeout));
  remote.commit();
  return {};
}

Result<void> NamedPipeConnection::write_frame(const std::vector<std::uint8_t>& frame,
                                              Milliseconds timeout) {
  OVERLAPPED* overlapped = write_.start();
  if (!WriteFile(pipe_.get(), frame.data(), static_cast<DWORD>(frame.size()), nullptr,
                 overlapped)) {
    const DWORD err = GetLastError();
    if (err != ERROR_IO_PENDING) return fail(pipe_error("named pipe send", err));
    if (!write_.wait(timeout)) (void)CancelIoEx(pipe_.get(), overlapped);
  }
  DWORD written = 0;
  if (!GetOverlappedResult(pipe_.get(), overlapped, &written, TRUE)) {
    const DWORD err = GetLastError();
    if (err == ERROR_OPERATION_ABORTED) {
      return fail(ErrorCode::Timeout, "named pipe send: the peer read nothing for " +
                                          std::to_string(timeout.count()) + " ms");
    }
    return fail(pipe_error("named pipe send", err));
  }
  if (written != frame.size()) {
    return fail(ErrorCode::Internal, "named pipe send: wrote " + std::to_string(written) + " of " +
                                         std::to_string(frame.size()) + " bytes");
  }
  return {};
}

}  // namespace geyser::ipc
