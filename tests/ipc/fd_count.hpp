// Open-descriptor accounting for the IPC tests.
#pragma once

#include <cstddef>
#include <string>

#include "geyser/unique_fd.hpp"

namespace geyser::ipc::test {

/// Entries of /proc/self/fd, not counting the descriptor used to read the directory.
[[nodiscard]] std::size_t open_fd_count();

/// A fresh descriptor for the tests to attach to messages (/dev/null, close-on-exec).
[[nodiscard]] UniqueFd open_dev_null();

/// A memfd holding `text`, close-on-exec.
[[nodiscard]] UniqueFd memfd_with(const std::string& text);

/// The whole contents of the file behind `fd`, read from offset 0 with pread.
[[nodiscard]] std::string read_all(int fd);

}  // namespace geyser::ipc::test
