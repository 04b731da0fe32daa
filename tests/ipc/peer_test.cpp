// Peer checks with SO_PEERCRED: ourselves, a forced mismatch, and a real process of another
// uid (as root).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/socket.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr uid_t kNobody = 65534;

TEST(PeerTest, OurOwnUidPasses) {
  auto pair = socket_pair();
  ASSERT_TRUE(pair);
  auto credentials = peer_credentials(pair->first);
  ASSERT_TRUE(credentials) << credentials.error().to_string();
  EXPECT_EQ(credentials->pid, ::getpid());
  EXPECT_EQ(credentials->uid, ::geteuid());
  auto checked = check_peer(pair->first);
  EXPECT_TRUE(checked) << checked.error().to_string();
}

TEST(PeerTest, ExpectedUidMismatchIsPermissionDenied) {
  auto pair = socket_pair();
  ASSERT_TRUE(pair);
  PeerPolicy policy;
  policy.expected_uid = ::geteuid() + 1;
  auto checked = check_peer(pair->first, policy);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(checked.error().message().find("uid " + std::to_string(::geteuid())), std::string::npos)
      << checked.error().message();
  // Allowed explicitly.
  policy.also_allowed_uids = {::geteuid()};
  EXPECT_TRUE(check_peer(pair->first, policy));
}

TEST(PeerTest, PeerCredentialsOfANonSocketFail) {
  UniqueFd file = test::open_dev_null();
  EXPECT_FALSE(peer_credentials(file));
}

TEST(PeerTest, AnotherUidIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as uid 65534";
  const std::size_t baseline = test::open_fd_count();
  char pattern[] = "/tmp/geyser-ipc-peer-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  // Deliberately not a private runtime dir: the other user must be able to reach the socket,
  // so that the listener's own check is what refuses it.
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  const auto path = dir / "peer.sock";
  {
    auto listener = Listener::bind(path);
    ASSERT_TRUE(listener) << listener.error().to_string();
    ASSERT_EQ(::chmod(path.c_str(), 0777), 0);

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The child: become nobody, connect, wait for the parent to hang up.
      if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(10);
      auto client = connect_to(path, 5000ms);
      if (!client) ::_exit(11);
      auto reply = receive_message(*client, 64, 0, 5000ms);
      ::_exit(reply || reply.error().code() != ErrorCode::Disconnected ? 12 : 0);
    }
    {
      auto server = listener->accept(5000ms);
      ASSERT_TRUE(server) << server.error().to_string();
      auto credentials = peer_credentials(*server);
      ASSERT_TRUE(credentials);
      EXPECT_EQ(credentials->uid, kNobody);
      EXPECT_EQ(credentials->pid, child);
      auto checked = check_peer(*server);
      ASSERT_FALSE(checked);
      EXPECT_EQ(checked.error().code(), ErrorCode::PermissionDenied);
      EXPECT_NE(checked.error().message().find("uid 65534"), std::string::npos)
          << checked.error().message();
      PeerPolicy trusting;
      trusting.also_allowed_uids = {kNobody};
      EXPECT_TRUE(check_peer(*server, trusting));
    }  // closes the connection: the child sees EOF
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed (10: setuid, 11: connect, 12: no EOF)";
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(test::open_fd_count(), baseline);
}

}  // namespace
}  // namespace geyser::ipc
