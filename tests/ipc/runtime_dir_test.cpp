// The runtime directory, channel names and publishing.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/runtime_dir.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Sets (or unsets) an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class RuntimeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/geyser-ipc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    baseline_ = test::open_fd_count();
  }
  void TearDown() override {
    EXPECT_EQ(test::open_fd_count(), baseline_) << "descriptors leaked";
    fs::remove_all(root_);
  }
  fs::path root_;
  std::size_t baseline_ = 0;
};

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

TEST_F(RuntimeDirTest, ResolvesFromTheEnvironmentInOrder) {
  {
    ScopedEnv geyser("GEYSER_RUNTIME_DIR", "/run/custom");
    ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/1000");
    EXPECT_EQ(runtime_dir_path().value(), fs::path("/run/custom"));
  }
  {
    ScopedEnv geyser("GEYSER_RUNTIME_DIR", "");
    ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/1000");
    EXPECT_EQ(runtime_dir_path().value(), fs::path("/run/user/1000/geyser"));
  }
  {
    ScopedEnv geyser("GEYSER_RUNTIME_DIR", nullptr);
    ScopedEnv xdg("XDG_RUNTIME_DIR", nullptr);
    EXPECT_EQ(runtime_dir_path().value(), fs::path("/tmp/geyser-" + std::to_string(::geteuid())));
  }
  {
    ScopedEnv geyser("GEYSER_RUNTIME_DIR", nullptr);
    ScopedEnv xdg("XDG_RUNTIME_DIR", "relative/dir");  // ignored, as the XDG spec says
    EXPECT_EQ(runtime_dir_path().value(), fs::path("/tmp/geyser-" + std::to_string(::geteuid())));
  }
  {
    ScopedEnv geyser("GEYSER_RUNTIME_DIR", "relative");
    EXPECT_EQ(runtime_dir_path().error().code(), ErrorCode::Validation);
  }
}

TEST_F(RuntimeDirTest, CreatesTheDirectoryWithMode0700) {
  const fs::path dir = root_ / "geyser";
  ScopedEnv geyser("GEYSER_RUNTIME_DIR", dir.c_str());
  const mode_t old_umask = ::umask(0);  // even a permissive umask must not open it up
  auto made = runtime_dir();
  ::umask(old_umask);
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_EQ(*made, dir);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_TRUE(ensure_private_dir(dir)) << "an existing private dir is accepted";
}

TEST_F(RuntimeDirTest, RefusesADirectoryOpenToOthers) {
  const fs::path dir = root_ / "open";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  for (const mode_t mode : {0755, 0750, 0701, 0710}) {
    ASSERT_EQ(::chmod(dir.c_str(), mode), 0);
    auto result = ensure_private_dir(dir);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::PermissionDenied);
    char expected[8];
    std::snprintf(expected, sizeof expected, "0%o", static_cast<unsigned>(mode));
    EXPECT_NE(result.error().message().find(expected), std::string::npos)
        << result.error().message();
  }
}

TEST_F(RuntimeDirTest, RefusesADirectoryOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to uid 65534";
  const fs::path dir = root_ / "theirs";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  auto result = ensure_private_dir(dir);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(result.error().message().find("owned by uid 65534"), std::string::npos)
      << result.error().message();
}

TEST_F(RuntimeDirTest, RefusesASymlinkAndANonDirectory) {
  const fs::path target = root_ / "real";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const fs::path link = root_ / "link";
  fs::create_directory_symlink(target, link);
  auto linked = ensure_private_dir(link);
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(linked.error().message().find("symlink"), std::string::npos);

  const fs::path file = root_ / "file";
  std::ofstream(file) << "x";
  EXPECT_EQ(ensure_private_dir(file).error().code(), ErrorCode::PermissionDenied);
}

// Finding 7: a directory swapped after it was checked. ensure_private_dir() passed, then the
// directory was renamed away and a symlink to another directory of ours put in its place:
// the lock and the socket must land in the directory that was checked, or publishing fails.
TEST_F(RuntimeDirTest, DirectorySwappedForASymlinkAfterTheCheck) {
  const fs::path dir = root_ / "run";
  const fs::path moved = root_ / "run.checked";
  const fs::path other = root_ / "elsewhere";
  ASSERT_TRUE(ensure_private_dir(dir));
  ASSERT_EQ(::mkdir(other.c_str(), 0700), 0);
  ASSERT_EQ(::rename(dir.c_str(), moved.c_str()), 0);
  fs::create_directory_symlink(other, dir);
  auto published = publish_channel(dir, "cam");
  EXPECT_FALSE(fs::exists(other / "cam.sock")) << "the socket followed the symlink";
  EXPECT_FALSE(fs::exists(other / "cam.lock")) << "the lock followed the symlink";
  if (published) {
    EXPECT_TRUE(fs::exists(moved / "cam.sock"));
  } else {
    EXPECT_EQ(published.error().code(), ErrorCode::PermissionDenied)
        << published.error().to_string();
  }
  // Connecting and listing through the symlink must not reach the other directory either.
  auto decoy = Listener::bind(other / "decoy.sock");
  ASSERT_TRUE(decoy);
  EXPECT_FALSE(connect_channel(dir, "decoy", 100ms)) << "connected through the symlink";
  auto names = list_channels(dir);
  EXPECT_FALSE(names && !names->empty()) << "listed the symlink's target";
}

// The same race with the directory held open: once checked, a PrivateDir keeps working on
// the directory it checked, wherever that is renamed to and whatever replaces its name.
TEST_F(RuntimeDirTest, PrivateDirKeepsTheDirectoryItChecked) {
  const fs::path dir = root_ / "run";
  const fs::path moved = root_ / "run.checked";
  auto checked = PrivateDir::open(dir);
  ASSERT_TRUE(checked) << checked.error().to_string();
  ASSERT_EQ(::rename(dir.c_str(), moved.c_str()), 0);
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);  // a decoy under the old name
  {
    auto published = publish_channel(*checked, "cam");
    ASSERT_TRUE(published) << published.error().to_string();
    EXPECT_TRUE(fs::exists(moved / "cam.sock"));
    EXPECT_TRUE(fs::exists(moved / "cam.lock"));
    EXPECT_FALSE(fs::exists(dir / "cam.sock"));
    EXPECT_FALSE(fs::exists(dir / "cam.lock"));
    auto client = connect_channel(*checked, "cam", 1000ms);
    ASSERT_TRUE(client) << client.error().to_string();
    auto server = published->accept(1000ms);
    EXPECT_TRUE(server) << server.error().to_string();
    auto names = list_channels(*checked);
    ASSERT_TRUE(names) << names.error().to_string();
    EXPECT_EQ(*names, std::vector<std::string>{"cam"});
  }
  EXPECT_FALSE(fs::exists(moved / "cam.sock")) << "the socket is unlinked where it was bound";
}

// An intermediate component that is a symlink owned by another user: they could point it
// anywhere, so the directory under it is refused (and nothing is created through it).
TEST_F(RuntimeDirTest, RefusesAPathThroughAnotherUsersSymlink) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to lchown a symlink to uid 65534";
  const fs::path target = root_ / "target";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const fs::path link = root_ / "theirs";
  fs::create_directory_symlink(target, link);
  ASSERT_EQ(::lchown(link.c_str(), 65534, 65534), 0);
  auto result = ensure_private_dir(link / "geyser");
  ASSERT_FALSE(result) << "accepted a path through another user's symlink";
  EXPECT_EQ(result.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(result.error().message().find("symlink"), std::string::npos)
      << result.error().message();
  EXPECT_FALSE(fs::exists(target / "geyser")) << "created through the symlink";
}

// /tmp/geyser-$UID created by another user before ours does: refused, saying what to do.
TEST_F(RuntimeDirTest, RefusesAPreCreatedDirectoryOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to uid 65534";
  const fs::path dir = root_ / ("geyser-" + std::to_string(::geteuid()));
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  for (auto result : {ensure_private_dir(dir), PrivateDir::open(dir).transform([](auto&&) {})}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::PermissionDenied);
    const std::string& message = result.error().message();
    EXPECT_NE(message.find("owned by uid 65534"), std::string::npos) << message;
    EXPECT_NE(message.find("remove it"), std::string::npos) << message;
    EXPECT_NE(message.find("GEYSER_RUNTIME_DIR"), std::string::npos) << message;
  }
  EXPECT_FALSE(publish_channel(dir, "cam"));
  EXPECT_FALSE(fs::exists(dir / "cam.lock"));
}

struct NameCase {
  std::string name;
  bool valid;
  std::string mentions;  // what the error message must name
};

TEST(ChannelNameTest, ValidatesTheNameRule) {
  const NameCase cases[] = {
      {"a", true, ""},
      {"camera-1", true, ""},
      {"A.b_c-9", true, ""},
      {"...", true, ""},
      {".hidden", true, ""},
      {std::string(64, 'x'), true, ""},
      {"", false, "empty"},
      {std::string(65, 'x'), false, "65 characters"},
      {".", false, "reserved"},
      {"..", false, "reserved"},
      {"a/b", false, "'/'"},
      {"a b", false, "' '"},
      {"tab\there", false, "0x09"},
      {"caf\xc3\xa9", false, "0xc3"},
      {std::string("nul\0byte", 8), false, "0x00"},
      {"star*", false, "position 4"},
  };
  for (const NameCase& c : cases) {
    SCOPED_TRACE("name \"" + c.name + "\"");
    auto result = validate_channel_name(c.name);
    EXPECT_EQ(result.has_value(), c.valid);
    if (!c.valid && !result) {
      EXPECT_EQ(result.error().code(), ErrorCode::Validation);
      EXPECT_NE(result.error().message().find(c.mentions), std::string::npos)
          << result.error().message();
    }
  }
}

TEST_F(RuntimeDirTest, SocketPathMustFitSunPath) {
  auto path = channel_socket_path(root_, "cam");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, root_ / "cam.sock");
  const fs::path deep = root_ / std::string(100, 'd');
  auto too_long = channel_socket_path(deep, "cam");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code(), ErrorCode::Validation);
  EXPECT_EQ(channel_socket_path(root_, "../escape").error().code(), ErrorCode::Validation);
}

// A socket file nobody listens on, as a crashed sender leaves it.
void make_stale_socket(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
}

TEST_F(RuntimeDirTest, StaleSocketIsReplaced) {
  make_stale_socket(root_ / "cam.sock");
  EXPECT_EQ(connect_channel(root_, "cam", 100ms).error().code(), ErrorCode::Disconnected);
  auto published = publish_channel(root_, "cam");
  ASSERT_TRUE(published) << published.error().to_string();
  auto client = connect_channel(root_, "cam", 1000ms);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = published->accept(1000ms);
  EXPECT_TRUE(server) << server.error().to_string();
}

TEST_F(RuntimeDirTest, LiveChannelIsRefused) {
  auto first = publish_channel(root_, "cam");
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = publish_channel(root_, "cam");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Validation);
  EXPECT_NE(second.error().message().find("channel cam is already published"), std::string::npos)
      << second.error().message();
  EXPECT_TRUE(fs::exists(root_ / "cam.sock")) << "the live socket must stay";
}

TEST_F(RuntimeDirTest, LiveSocketWithoutLockIsRefused) {
  // A sender that did not take the lock (another implementation): the connect probe finds it.
  auto foreign = Listener::bind(root_ / "cam.sock");
  ASSERT_TRUE(foreign);
  auto second = publish_channel(root_, "cam");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("already published"), std::string::npos)
      << second.error().message();
}

TEST_F(RuntimeDirTest, NonSocketIsNeverRemoved) {
  std::ofstream(root_ / "cam.sock") << "precious";
  auto published = publish_channel(root_, "cam");
  ASSERT_FALSE(published);
  EXPECT_EQ(published.error().code(), ErrorCode::Validation);
  EXPECT_TRUE(fs::is_regular_file(root_ / "cam.sock"));
}

TEST_F(RuntimeDirTest, ChannelIsRepublishedAfterItsListenerGoes) {
  {
    auto first = publish_channel(root_, "cam");
    ASSERT_TRUE(first);
  }
  EXPECT_FALSE(fs::exists(root_ / "cam.sock"));
  auto again = publish_channel(root_, "cam");
  EXPECT_TRUE(again) << again.error().to_string();
}

TEST_F(RuntimeDirTest, ListsChannels) {
  auto b = publish_channel(root_, "beta");
  auto a = publish_channel(root_, "alpha");
  ASSERT_TRUE(a && b);
  make_stale_socket(root_ / "stale.sock");
  std::ofstream(root_ / "notes.txt") << "x";
  std::ofstream(root_ / "file.sock") << "not a socket";
  make_stale_socket(root_ / "bad name.sock");
  auto names = list_channels(root_);
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"alpha", "beta", "stale"}));
  EXPECT_EQ(list_channels(root_ / "missing").error().code(), ErrorCode::Internal);
}

}  // namespace
}  // namespace geyser::ipc
