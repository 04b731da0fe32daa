// Shared memory between a sender and its receivers: a sealed memfd and its mapping on Linux,
// an unnamed file-mapping section on Windows (shared_memory_win32.cpp: access rights in place
// of seals).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser {

/// Who may write a shared region.
enum class SharedAccess : std::uint8_t {
  /// Only its creator: the region is sealed against any new writable mapping, so a peer can
  /// neither write it through the handle it was given nor by reopening that handle.
  CreatorWrites,
  /// The creator and the peers it gives a handle to.
  PeersWrite,
};

/// A mapped shared region of a fixed size. The creator's mapping is writable; a mapping
/// made from a received handle is writable only for SharedAccess::PeersWrite. The size can
/// never change (sealed), so a peer cannot make us fault on a shrunk file. Move-only.
class SharedMemory {
 public:
  /// Creates and maps a zeroed region of `size` bytes. `name` shows in /proc (debugging).
  [[nodiscard]] static Result<SharedMemory> create(const std::string& name, std::size_t size,
                                                   SharedAccess access);
  /// Maps a region received from a peer. Consumes `handle`. Validation unless it is a
  /// memfd of exactly `size` bytes sealed against shrinking and growing, and, for
  /// CreatorWrites, against new writable mappings (so that no other peer can write it). On
  /// Windows: a section of `size` bytes (in whole pages), and for CreatorWrites a handle
  /// that cannot map it writable.
  [[nodiscard]] static Result<SharedMemory> open(UniqueHandle handle, std::size_t size,
                                                 SharedAccess access);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  /// A new handle to the region for a peer (the caller owns it).
  [[nodiscard]] Result<UniqueHandle> share() const;

  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  [[nodiscard]] bool writable() const noexcept { return writable_; }

 private:
  SharedMemory(UniqueHandle handle, std::byte* data, std::size_t size, bool writable) noexcept
      : handle_(std::move(handle)), data_(data), size_(size), writable_(writable) {}
  UniqueHandle handle_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool writable_ = false;
};

}  // namespace geyser
