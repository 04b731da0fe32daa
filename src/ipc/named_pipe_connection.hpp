// A Connection over one connected instance of a message-mode named pipe (Windows,
// internal). Handles are passed by DuplicateHandle into the peer's process, opened once
// when the connection is adopted; the message carries their values (pipe_frame.hpp).
#pragma once

#include <windows.h>

#include <memory>
#include <mutex>
#include <vector>

#include "geyser/ipc/transport.hpp"
#include "geyser/unique_handle.hpp"
#include "overlapped_op.hpp"

namespace geyser::ipc {

class NamedPipeConnection final : public Connection {
 public:
  /// Which end of the pipe `adopt` takes: the server's finds its peer with
  /// GetNamedPipeClientProcessId, the client's with GetNamedPipeServerProcessId.
  enum class End { Server, Client };

  /// Takes the connected, overlapped, message-mode `pipe`, opens the peer's process
  /// (PROCESS_DUP_HANDLE) and reads its user. Disconnected when the peer is already gone,
  /// PermissionDenied when it runs as another user (a message's handle values are trusted,
  /// which only a peer of our own user may be), Internal otherwise. The pipe is closed on
  /// failure.
  [[nodiscard]] static Result<std::unique_ptr<NamedPipeConnection>> adopt(UniqueHandle pipe,
                                                                          End end);
  ~NamedPipeConnection() override;
  NamedPipeConnection(const NamedPipeConnection&) = delete;
  NamedPipeConnection& operator=(const NamedPipeConnection&) = delete;

  [[nodiscard]] Result<void> send(std::span<const std::uint8_t> bytes,
                                  std::span<const NativeHandle> handles,
                                  Milliseconds timeout) override;
  [[nodiscard]] Result<Packet> receive(std::size_t max_bytes, std::size_t max_handles,
                                       Milliseconds timeout) override;
  [[nodiscard]] const PeerCredentials& peer() const noexcept override { return peer_; }
  /// The event of the read kept in flight: set while a message or the peer's close waits.
  [[nodiscard]] NativeHandle native_handle() const noexcept override { return read_.event(); }

 private:
  NamedPipeConnection(UniqueHandle pipe, UniqueHandle process, PeerCredentials peer,
                      win32::OverlappedOp read, win32::OverlappedOp write);
  void start_read() noexcept;
  Result<std::vector<std::uint8_t>> finish_read();
  Result<void> drain_rest(std::vector<std::uint8_t>& message);
  Result<void> write_frame(const std::vector<std::uint8_t>& frame, Milliseconds timeout);

  UniqueHandle pipe_;
  UniqueHandle process_;  // the peer's, with PROCESS_DUP_HANDLE
  PeerCredentials peer_;
  win32::OverlappedOp read_;
  win32::OverlappedOp write_;
  std::vector<std::uint8_t> read_buffer_;
  bool read_in_flight_ = false;
  DWORD read_error_ = ERROR_SUCCESS;  // sticky once the pipe broke
  std::mutex send_mutex_;             // one frame written at a time
};

}  // namespace geyser::ipc
