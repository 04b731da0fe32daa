// Handles duplicated into a peer's process for one message (Windows, internal). Until the
// message is sent (commit), they belong to nobody the peer knows of, so the destructor
// closes them in the peer again (DuplicateHandle with DUPLICATE_CLOSE_SOURCE).
#pragma once

#include <windows.h>

#include <cstdint>
#include <span>
#include <vector>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc::win32 {

class RemoteHandles {
 public:
  /// Duplicates each of `handles` (borrowed: ours stay open) into `process` with the same
  /// access, not inheritable. Validation for an empty or closed handle, Disconnected when
  /// the peer process has exited, Internal otherwise; what was duplicated is closed again.
  [[nodiscard]] static Result<RemoteHandles> duplicate(HANDLE process,
                                                       std::span<const NativeHandle> handles);
  RemoteHandles(RemoteHandles&& other) noexcept;
  RemoteHandles& operator=(RemoteHandles&&) = delete;
  RemoteHandles(const RemoteHandles&) = delete;
  RemoteHandles& operator=(const RemoteHandles&) = delete;
  ~RemoteHandles();

  /// Their values in the peer's process, for the message.
  [[nodiscard]] std::span<const std::uint64_t> values() const noexcept { return values_; }
  /// The message carrying them was sent: the peer owns them now.
  void commit() noexcept { values_.clear(); }

 private:
  explicit RemoteHandles(HANDLE process) noexcept : process_(process) {}
  HANDLE process_;  // borrowed from the connection
  std::vector<std::uint64_t> values_;
};

}  // namespace geyser::ipc::win32
