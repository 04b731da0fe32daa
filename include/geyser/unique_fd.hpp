// Move-only owner of a POSIX file descriptor.
#pragma once

#include <utility>

#include "geyser/error.hpp"

namespace geyser {

/// Owns one file descriptor and closes it on destruction. Move-only; -1 means empty. Not
/// thread-safe: one owner, one thread at a time (get() of a shared const one is fine).
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  /// Takes ownership of `fd` (which may be -1).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  /// Gives up ownership and returns the fd; the caller must close it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the owned fd (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;
  /// A new descriptor for the same open file (F_DUPFD_CLOEXEC); Validation if this is
  /// empty or not an open descriptor.
  [[nodiscard]] Result<UniqueFd> duplicate() const;

 private:
  int fd_ = -1;
};

}  // namespace geyser
