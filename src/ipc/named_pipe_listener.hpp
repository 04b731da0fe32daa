// A published named pipe channel (Windows, internal): the name's mutex, its marker, and one
// pipe instance waiting for a client (ConnectNamedPipe in flight), replaced by a new one
// each time a client is accepted.
#pragma once

#include <windows.h>

#include <filesystem>
#include <memory>
#include <string>

#include "geyser/ipc/transport.hpp"
#include "geyser/unique_handle.hpp"
#include "geyser/win32_security.hpp"
#include "overlapped_op.hpp"

namespace geyser::ipc {

class NamedPipeListener final : public TransportListener {
 public:
  /// Publishes channel `name` with its marker in `dir`. See NamedPipeTransport::listen.
  [[nodiscard]] static Result<std::unique_ptr<NamedPipeListener>> create(
      const std::filesystem::path& dir, std::string_view name);
  ~NamedPipeListener() override;
  NamedPipeListener(const NamedPipeListener&) = delete;
  NamedPipeListener& operator=(const NamedPipeListener&) = delete;

  /// Timeout when no client came; Disconnected when one came and went before it was
  /// accepted, PermissionDenied when it runs as another user (the next accept goes on).
  [[nodiscard]] Result<std::unique_ptr<Connection>> accept(Milliseconds timeout) override;
  /// The event of the ConnectNamedPipe in flight: set while a client waits.
  [[nodiscard]] NativeHandle native_handle() const noexcept override { return connect_.event(); }

 private:
  NamedPipeListener(std::string name, std::wstring pipe, win32::OwnerOnlySecurity security,
                    win32::OverlappedOp connect) noexcept
      : name_(std::move(name)),
        pipe_(std::move(pipe)),
        security_(std::move(security)),
        connect_(std::move(connect)) {}
  Result<void> take_name(const std::filesystem::path& dir);
  Result<void> arm(bool first);
  Result<UniqueHandle> take_connected();

  std::string name_;
  std::wstring pipe_;
  win32::OwnerOnlySecurity security_;
  UniqueHandle lock_;    // the name's mutex: who holds it is the live sender
  UniqueHandle marker_;  // delete-on-close: list() sees it while we live
  UniqueHandle instance_;
  win32::OverlappedOp connect_;
  bool connect_in_flight_ = false;
};

}  // namespace geyser::ipc
