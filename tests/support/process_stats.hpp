// What the tests measure about their own process: open file descriptors and resident memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace geyser::test {

/// Number of open file descriptors of this process (entries of /proc/self/fd), not counting
/// the one used to read the directory.
[[nodiscard]] std::size_t open_fd_count();

/// "0 -> /dev/pts/0, 1 -> ..., 5 -> /memfd:llvmpipe (deleted)": every open descriptor and
/// what it refers to, for failure messages.
[[nodiscard]] std::string describe_open_fds();

/// Resident set size of this process in bytes (/proc/self/statm, field 2, times the page
/// size); 0 if it cannot be read.
[[nodiscard]] std::uint64_t rss_bytes();

}  // namespace geyser::test
