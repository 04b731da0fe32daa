// What the loopback transport needs of the platform (internal): a handle that is readable
// exactly while its owner says so (an eventfd on Linux, a manual-reset event on Windows),
// this process's credentials, and the test for an empty handle.
#pragma once

#include <string>

#include "geyser/error.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::ipc::loopback_detail {

/// Readable (poll, WaitForSingleObject) exactly while set(true) was the last call. Guarded
/// by its owner's mutex. Move-only.
class Signal {
 public:
  Signal() noexcept = default;
  /// Internal (naming `what`) when the OS cannot make one.
  [[nodiscard]] static Result<Signal> create(const char* what);
  /// Raises or lowers it when `readable` differs from what it shows now. Never fails.
  void set(bool readable) noexcept;
  /// Closes it; get() is then empty.
  void close() noexcept {
    handle_.reset();
    raised_ = false;
  }
  [[nodiscard]] NativeHandle get() const noexcept { return handle_.get(); }

 private:
  UniqueHandle handle_;
  bool raised_ = false;
};

/// This process as a peer: pid and effective uid/gid on Linux, pid and user SID on Windows.
[[nodiscard]] PeerCredentials own_credentials();

/// Whether `handle` is no handle at all (negative on Linux; null or INVALID_HANDLE_VALUE on
/// Windows), and how to print it in a message.
[[nodiscard]] bool is_empty(NativeHandle handle) noexcept;
[[nodiscard]] std::string handle_text(NativeHandle handle);

}  // namespace geyser::ipc::loopback_detail
