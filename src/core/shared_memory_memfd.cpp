// SharedMemory over a sealed memfd.
//
// Seals: F_SEAL_SHRINK and F_SEAL_GROW always (a peer that shrank the file would make our
// reads of the mapping fault with SIGBUS). For CreatorWrites also F_SEAL_FUTURE_WRITE, added
// after the creator mapped it writable: no new writable mapping and no write() can follow,
// through any fd, including a reopen of /proc/self/fd/N (which checks only the inode's
// mode, so a read-only fd alone would not stop a peer).
#include "geyser/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace geyser {
namespace {

constexpr int kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;

Result<std::byte*> map(int fd, std::size_t size, bool writable) {
  const int protection = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  void* data = ::mmap(nullptr, size, protection, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    return fail(Error::from_errno(ErrorCode::Internal, "SharedMemory: mmap", errno));
  }
  return static_cast<std::byte*>(data);
}

Result<void> check_received(int fd, std::size_t size, SharedAccess access) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    return fail(ErrorCode::Validation, "SharedMemory::open: not an open file descriptor");
  }
  const int seals = ::fcntl(fd, F_GET_SEALS);
  const int required =
      kSizeSeals | (access == SharedAccess::CreatorWrites ? F_SEAL_FUTURE_WRITE : 0);
  if (!S_ISREG(st.st_mode) || seals < 0 || (seals & required) != required ||
      static_cast<std::size_t>(st.st_size) != size) {
    return fail(ErrorCode::Validation,
                "SharedMemory::open: expected a memfd of " + std::to_string(size) +
                    " bytes sealed against resizing" +
                    (access == SharedAccess::CreatorWrites ? " and writing" : "") + ", got " +
                    (S_ISREG(st.st_mode)
                         ? std::to_string(st.st_size) + " bytes with seals " + std::to_string(seals)
                         : std::string("another kind of file")));
  }
  return {};
}

}  // namespace

Result<SharedMemory> SharedMemory::create(const std::string& name, std::size_t size,
                                          SharedAccess access) {
  if (size == 0) return fail(ErrorCode::Validation, "SharedMemory::create: size 0");
  UniqueHandle fd(::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return fail(Error::from_errno(ErrorCode::Internal, "SharedMemory: memfd_create", errno));
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return fail(Error::from_errno(ErrorCode::OutOfMemory, "SharedMemory: ftruncate", errno));
  }
  GEYSER_TRY(std::byte * data, map(fd.get(), size, true));
  SharedMemory memory(std::move(fd), data, size, true);
  int seals = kSizeSeals | F_SEAL_SEAL;
  if (access == SharedAccess::CreatorWrites) seals |= F_SEAL_FUTURE_WRITE;
  if (::fcntl(memory.handle_.get(), F_ADD_SEALS, seals) != 0) {
    return fail(Error::from_errno(ErrorCode::Internal, "SharedMemory: F_ADD_SEALS", errno));
  }
  return memory;
}

Result<SharedMemory> SharedMemory::open(UniqueHandle handle, std::size_t size,
                                        SharedAccess access) {
  GEYSER_TRY_VOID(check_received(handle.get(), size, access));
  const bool writable = access == SharedAccess::PeersWrite;
  GEYSER_TRY(std::byte * data, map(handle.get(), size, writable));
  return SharedMemory(std::move(handle), data, size, writable);
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : handle_(std::move(other.handle_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      writable_(other.writable_) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    handle_ = std::move(other.handle_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    writable_ = other.writable_;
  }
  return *this;
}

SharedMemory::~SharedMemory() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

Result<UniqueHandle> SharedMemory::share() const {
  return handle_.duplicate();
}

}  // namespace geyser
