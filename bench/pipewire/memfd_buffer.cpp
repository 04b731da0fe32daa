#include "pipewire/memfd_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace geyser::bench::pipewire {

Result<void> attach_memfd(spa_data& plane, std::size_t bytes) {
  // Before allocation, `type` holds the mask of the data types the link allows.
  if ((plane.type & (1u << SPA_DATA_MemFd)) == 0) {
    return fail(ErrorCode::Unsupported, "the link does not allow MemFd buffers");
  }
  const int fd = ::memfd_create("geyser-bench-pipewire", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return fail(Error::from_errno(ErrorCode::Internal, "memfd_create", errno));
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int error = errno;
    ::close(fd);
    return fail(Error::from_errno(ErrorCode::Internal, "ftruncate(memfd)", error));
  }
  ::fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);  // best effort
  void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    const int error = errno;
    ::close(fd);
    return fail(Error::from_errno(ErrorCode::Internal, "mmap(memfd)", error));
  }
  plane.type = SPA_DATA_MemFd;
  plane.flags = SPA_DATA_FLAG_READWRITE;
  plane.fd = fd;
  plane.mapoffset = 0;
  plane.maxsize = static_cast<uint32_t>(bytes);
  plane.data = data;
  return {};
}

void release_memfd(spa_data& plane) noexcept {
  if (plane.type != SPA_DATA_MemFd || plane.fd < 0) return;
  if (plane.data != nullptr) ::munmap(plane.data, plane.maxsize);
  ::close(static_cast<int>(plane.fd));
  plane.data = nullptr;
  plane.fd = -1;
}

}  // namespace geyser::bench::pipewire
