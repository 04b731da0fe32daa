// Test helpers for channels in one process: a private runtime directory per test, and
// connecting a receiver while another thread answers it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

namespace geyser::test {

/// A directory of this process's own (mkdtemp under /tmp, mode 0700, as a runtime
/// directory must be), removed with everything in it on destruction. Empty when it could
/// not be made (ASSERT_FALSE(dir.path().empty()) in SetUp).
class PrivateDir {
 public:
  explicit PrivateDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr && ::chmod(pattern.c_str(), 0700) == 0) {
      path_ = pattern;
    }
  }
  ~PrivateDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs `connect()` on this thread while another thread calls `poll()` until it returns:
/// a receiver connecting to a sender of this process, which must answer its hello. The
/// sender is used by the polling thread only, until connect returns.
template <typename Poll, typename Connect>
auto connect_while_polling(Poll poll, Connect connect) {
  std::atomic<bool> done{false};
  std::thread pump([&] {
    while (!done) (void)poll();
  });
  auto connected = connect();
  done = true;
  pump.join();
  return connected;
}

}  // namespace geyser::test
