// The transport: messages and descriptors over SOCK_SEQPACKET, timeouts, EOF, truncation.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/socket.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;
using test::open_fd_count;

constexpr Milliseconds kWait = 5000ms;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

class SocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_ = open_fd_count();
    auto pair = socket_pair();
    ASSERT_TRUE(pair) << pair.error().to_string();
    a_ = std::move(pair->first);
    b_ = std::move(pair->second);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    EXPECT_EQ(open_fd_count(), baseline_) << "descriptors leaked";
  }
  std::size_t baseline_ = 0;
  UniqueFd a_;
  UniqueFd b_;
};

TEST_F(SocketTest, SocketsAreCloseOnExec) {
  EXPECT_NE(::fcntl(a_.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(b_.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(SocketTest, MessageBoundariesArePreserved) {
  ASSERT_TRUE(send_message(a_, bytes_of("first"), {}, kWait));
  ASSERT_TRUE(send_message(a_, bytes_of("second message"), {}, kWait));
  auto first = receive_message(b_, 100, 0, kWait);
  auto second = receive_message(b_, 100, 0, kWait);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->bytes, bytes_of("first"));
  EXPECT_EQ(second->bytes, bytes_of("second message"));
}

TEST_F(SocketTest, ReceivedFdRefersToTheSameFile) {
  UniqueFd file = test::memfd_with("written by the sender");
  ASSERT_TRUE(file);
  const int fds[] = {file.get()};
  ASSERT_TRUE(send_message(a_, bytes_of("with fd"), fds, kWait));
  auto received = receive_message(b_, 100, 4, kWait);
  ASSERT_TRUE(received) << received.error().to_string();
  ASSERT_EQ(received->fds.size(), 1u);
  const UniqueFd& got = received->fds[0];
  EXPECT_NE(got.get(), file.get());
  EXPECT_NE(::fcntl(got.get(), F_GETFD) & FD_CLOEXEC, 0) << "MSG_CMSG_CLOEXEC missing";
  EXPECT_EQ(test::read_all(got.get()), "written by the sender");
  // Written through the received descriptor, read through the original.
  const std::string reply = "REPLACED";  // over "written "
  ASSERT_EQ(::pwrite(got.get(), reply.data(), reply.size(), 0), static_cast<ssize_t>(reply.size()));
  EXPECT_EQ(test::read_all(file.get()), "REPLACEDby the sender");
}

TEST_F(SocketTest, ReceiveTimesOutNearTheRequestedTime) {
  const auto start = std::chrono::steady_clock::now();
  auto result = receive_message(b_, 100, 0, 150ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Timeout) << result.error().to_string();
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);
  // A zero timeout polls once.
  EXPECT_EQ(receive_message(b_, 100, 0, 0ms).error().code(), ErrorCode::Timeout);
}

TEST_F(SocketTest, PeerCloseIsDisconnected) {
  a_.reset();
  auto received = receive_message(b_, 100, 0, kWait);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code(), ErrorCode::Disconnected) << received.error().to_string();
  // Sending to a closed peer is an error, not SIGPIPE (MSG_NOSIGNAL).
  auto sent = send_message(b_, bytes_of("anyone?"), {}, kWait);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), ErrorCode::Disconnected) << sent.error().to_string();
}

TEST_F(SocketTest, PendingMessagesArriveBeforeDisconnected) {
  ASSERT_TRUE(send_message(a_, bytes_of("last words"), {}, kWait));
  a_.reset();
  auto last = receive_message(b_, 100, 0, kWait);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->bytes, bytes_of("last words"));
  EXPECT_EQ(receive_message(b_, 100, 0, kWait).error().code(), ErrorCode::Disconnected);
}

// More fds than the receiver's control buffer holds: MSG_CTRUNC, and the ones that made it
// are closed (the kernel closes the rest).
TEST_F(SocketTest, TruncatedControlDataIsProtocolWithFdsClosed) {
  for (const std::size_t max_fds : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
    SCOPED_TRACE("max_fds " + std::to_string(max_fds));
    {
      std::vector<UniqueFd> files;
      std::vector<int> raw;
      for (int i = 0; i < 5; ++i) {
        files.push_back(test::open_dev_null());
        raw.push_back(files.back().get());
      }
      ASSERT_TRUE(send_message(a_, bytes_of("many fds"), raw, kWait));
    }
    const std::size_t before = open_fd_count();
    auto received = receive_message(b_, 100, max_fds, kWait);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error().code(), ErrorCode::Protocol) << received.error().to_string();
    EXPECT_EQ(open_fd_count(), before);
  }
}

// CMSG_SPACE rounds up, so two fds fit a buffer sized for one: still refused.
TEST_F(SocketTest, MoreFdsThanAllowedIsProtocolEvenWithoutTruncation) {
  {
    UniqueFd one = test::open_dev_null();
    UniqueFd two = test::open_dev_null();
    const int raw[] = {one.get(), two.get()};
    ASSERT_TRUE(send_message(a_, bytes_of("two fds"), raw, kWait));
  }
  const std::size_t before = open_fd_count();
  auto received = receive_message(b_, 100, 1, kWait);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code(), ErrorCode::Protocol) << received.error().to_string();
  EXPECT_EQ(open_fd_count(), before);
}

TEST_F(SocketTest, OversizedMessageIsProtocolWithFdsClosed) {
  {
    UniqueFd file = test::open_dev_null();
    const int raw[] = {file.get()};
    ASSERT_TRUE(send_message(a_, std::vector<std::uint8_t>(100, 7), raw, kWait));
  }
  const std::size_t before = open_fd_count();
  auto received = receive_message(b_, 10, 4, kWait);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code(), ErrorCode::Protocol) << received.error().to_string();
  EXPECT_EQ(open_fd_count(), before);
}

TEST_F(SocketTest, SendRejectsEmptyMessagesAndEmptyFds) {
  EXPECT_EQ(send_message(a_, {}, {}, kWait).error().code(), ErrorCode::Validation);
  const int raw[] = {-1};
  EXPECT_EQ(send_message(a_, bytes_of("x"), raw, kWait).error().code(), ErrorCode::Validation);
}

TEST_F(SocketTest, SendTimesOutWhenThePeerDoesNotRead) {
  const std::vector<std::uint8_t> chunk(32 * 1024, 1);
  Result<void> sent;
  for (int i = 0; i < 10000 && sent; ++i) sent = send_message(a_, chunk, {}, 50ms);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), ErrorCode::Timeout) << sent.error().to_string();
}

TEST_F(SocketTest, WireMessagesTravelWithTheirFds) {
  StreamDescription stream;
  stream.generation = 9;
  stream.image.allocation_size = 4096;
  stream.sync_mode = SyncMode::Cpu;
  stream.board = test::memfd_with("board");
  stream.page = test::memfd_with("page");
  stream.slots.resize(2);
  for (std::size_t i = 0; i < 2; ++i) {
    stream.slots[i].memory = test::memfd_with("m" + std::to_string(i));
    stream.slots[i].ready = test::memfd_with("r" + std::to_string(i));
    stream.slots[i].released = test::memfd_with("x" + std::to_string(i));
  }
  const Message message(std::move(stream));
  ASSERT_TRUE(send(a_, message, kWait));
  ASSERT_TRUE(send(a_, Goodbye{}, kWait));
  auto first = receive(b_, kWait);
  ASSERT_TRUE(first) << first.error().to_string();
  auto& got = std::get<StreamDescription>(*first);
  ASSERT_EQ(got.slots.size(), 2u);
  EXPECT_EQ(test::read_all(got.slots[1].memory.get()), "m1");
  EXPECT_EQ(test::read_all(got.slots[1].released.get()), "x1");
  auto second = receive(b_, kWait);
  ASSERT_TRUE(second);
  EXPECT_TRUE(std::holds_alternative<Goodbye>(*second));
}

TEST_F(SocketTest, MalformedWireMessageIsProtocolWithFdsClosed) {
  auto encoded = encode(Hello{});
  ASSERT_TRUE(encoded);
  {
    UniqueFd stray = test::open_dev_null();
    const int raw[] = {stray.get()};  // fds on a Hello: not allowed
    ASSERT_TRUE(send_message(a_, encoded->bytes, raw, kWait));
  }
  const std::size_t before = open_fd_count();
  auto received = receive(b_, kWait);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code(), ErrorCode::Protocol) << received.error().to_string();
  EXPECT_EQ(open_fd_count(), before);
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/geyser-ipc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    baseline_ = open_fd_count();
  }
  void TearDown() override {
    EXPECT_EQ(open_fd_count(), baseline_) << "descriptors leaked";
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::size_t baseline_ = 0;
};

TEST_F(ListenerTest, ConnectAcceptAndTalk) {
  const auto path = dir_ / "test.sock";
  auto listener = Listener::bind(path);
  ASSERT_TRUE(listener) << listener.error().to_string();
  auto client = connect_to(path, kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = listener->accept(kWait);
  ASSERT_TRUE(server) << server.error().to_string();
  EXPECT_NE(::fcntl(server->get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(client->get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_TRUE(send(*client, Goodbye{}, kWait));
  auto message = receive(*server, kWait);
  ASSERT_TRUE(message);
  EXPECT_TRUE(std::holds_alternative<Goodbye>(*message));
}

TEST_F(ListenerTest, AcceptTimesOut) {
  auto listener = Listener::bind(dir_ / "idle.sock");
  ASSERT_TRUE(listener);
  auto accepted = listener->accept(50ms);
  ASSERT_FALSE(accepted);
  EXPECT_EQ(accepted.error().code(), ErrorCode::Timeout);
}

TEST_F(ListenerTest, ListenerUnlinksItsSocketButNotASuccessors) {
  const auto path = dir_ / "owned.sock";
  {
    auto listener = Listener::bind(path);
    ASSERT_TRUE(listener);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  auto first = Listener::bind(path);
  ASSERT_TRUE(first);
  std::filesystem::remove(path);
  auto second = Listener::bind(path);
  ASSERT_TRUE(second);
  first = Listener::bind(dir_ / "other.sock");  // destroys the first listener
  EXPECT_TRUE(std::filesystem::exists(path)) << "a listener removed a socket it did not create";
}

TEST_F(ListenerTest, ConnectToNobodyIsDisconnected) {
  auto client = connect_to(dir_ / "missing.sock", 100ms);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), ErrorCode::Disconnected) << client.error().to_string();
  EXPECT_EQ(connect_to(std::string(200, 'x'), 100ms).error().code(), ErrorCode::Validation);
}

}  // namespace
}  // namespace geyser::ipc
