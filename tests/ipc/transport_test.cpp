// Transport conformance: one body per behaviour, run against the Unix transport (in a fresh
// private runtime directory) and the in-process loopback; then what only the loopback has.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/peer.hpp"
#include "geyser/ipc/runtime_dir.hpp"
#include "geyser/ipc/unix_transport.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;
using test::open_fd_count;

constexpr Milliseconds kWait = 5000ms;
constexpr std::size_t kMaxBytes = 1024;
constexpr std::size_t kMaxHandles = 8;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

// Readable now, by a poll that does not wait.
bool readable(NativeHandle handle) {
  pollfd entry{handle, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 1;
}

// Whether `a` and `b` are descriptors of the same open file.
bool same_file(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

enum class Kind { Unix, Loopback };

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
  return info.param == Kind::Unix ? "Unix" : "Loopback";
}

// A fresh transport per test, and a listener with one connection through it (link()).
// Checks that every descriptor is closed by the end.
class TransportTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    baseline_ = open_fd_count();
    if (GetParam() == Kind::Loopback) {
      transport_ = std::make_shared<LoopbackTransport>();
      return;
    }
    char pattern[] = "/tmp/geyser-transport-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    auto made = ensure_private_dir(root_ / "run");
    ASSERT_TRUE(made) << made.error().to_string();
    transport_ = std::make_shared<UnixTransport>(root_ / "run");
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    listener_.reset();
    transport_.reset();
    if (!root_.empty()) std::filesystem::remove_all(root_);
    EXPECT_EQ(open_fd_count(), baseline_) << "descriptors leaked";
  }
  // Publishes `name`, connects to it and accepts the connection.
  void link(const std::string& name = "conformance") {
    auto listener = transport_->listen(name);
    ASSERT_TRUE(listener) << listener.error().to_string();
    listener_ = std::move(*listener);
    auto client = transport_->connect(name, kWait);
    ASSERT_TRUE(client) << client.error().to_string();
    client_ = std::move(*client);
    auto server = listener_->accept(kWait);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::size_t baseline_ = 0;
  std::filesystem::path root_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<TransportListener> listener_;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
};

TEST_P(TransportTest, CarriesAMessageEachWayIntact) {
  ASSERT_NO_FATAL_FAILURE(link());
  ASSERT_TRUE(client_->send(bytes_of("hello, server"), {}, kWait));
  ASSERT_TRUE(server_->send(bytes_of("hello, client"), {}, kWait));
  auto at_server = server_->receive(kMaxBytes, kMaxHandles, kWait);
  auto at_client = client_->receive(kMaxBytes, kMaxHandles, kWait);
  ASSERT_TRUE(at_server) << at_server.error().to_string();
  ASSERT_TRUE(at_client) << at_client.error().to_string();
  EXPECT_EQ(at_server->bytes, bytes_of("hello, server"));
  EXPECT_EQ(at_client->bytes, bytes_of("hello, client"));
  EXPECT_TRUE(at_server->handles.empty());
}

TEST_P(TransportTest, AttachedHandlesArriveAsNewFdsOfTheSameFiles) {
  ASSERT_NO_FATAL_FAILURE(link());
  UniqueFd memory = test::memfd_with("shared contents");
  UniqueFd null = test::open_dev_null();
  ASSERT_TRUE(memory && null);
  const NativeHandle handles[] = {memory.get(), null.get()};
  ASSERT_TRUE(client_->send(bytes_of("two files"), handles, kWait));
  auto packet = server_->receive(kMaxBytes, kMaxHandles, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  ASSERT_EQ(packet->handles.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const int got = packet->handles[i].get();
    EXPECT_NE(got, handles[i]);
    EXPECT_TRUE(same_file(got, handles[i])) << "handle #" << i;
    EXPECT_NE(::fcntl(got, F_GETFD) & FD_CLOEXEC, 0) << "handle #" << i;
    EXPECT_TRUE(is_open(handles[i])) << "the sender keeps its own handle #" << i;
  }
  EXPECT_EQ(test::read_all(packet->handles[0].get()), "shared contents");
  EXPECT_EQ(test::read_all(memory.get()), "shared contents");
}

TEST_P(TransportTest, NativeHandleIsReadableExactlyWhileAMessageWaits) {
  ASSERT_NO_FATAL_FAILURE(link());
  EXPECT_FALSE(readable(server_->native_handle()));
  EXPECT_FALSE(readable(client_->native_handle()));
  ASSERT_TRUE(client_->send(bytes_of("one"), {}, kWait));
  ASSERT_TRUE(client_->send(bytes_of("two"), {}, kWait));
  EXPECT_TRUE(readable(server_->native_handle()));
  EXPECT_FALSE(readable(client_->native_handle()));
  ASSERT_TRUE(server_->receive(kMaxBytes, kMaxHandles, kWait));
  EXPECT_TRUE(readable(server_->native_handle())) << "the second message still waits";
  ASSERT_TRUE(server_->receive(kMaxBytes, kMaxHandles, kWait));
  EXPECT_FALSE(readable(server_->native_handle()));
  client_.reset();
  EXPECT_TRUE(readable(server_->native_handle())) << "the peer's close is waiting";
}

TEST_P(TransportTest, ListenerHandleIsReadableWhileAConnectionWaits) {
  auto listener = transport_->listen("backlog");
  ASSERT_TRUE(listener) << listener.error().to_string();
  EXPECT_FALSE(readable((*listener)->native_handle()));
  auto client = transport_->connect("backlog", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  EXPECT_TRUE(readable((*listener)->native_handle()));
  auto server = (*listener)->accept(kWait);
  ASSERT_TRUE(server) << server.error().to_string();
  EXPECT_FALSE(readable((*listener)->native_handle()));
  auto none = (*listener)->accept(0ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::Timeout) << none.error().to_string();
}

TEST_P(TransportTest, PeerDestroyedIsDisconnectedAfterPendingMessages) {
  ASSERT_NO_FATAL_FAILURE(link());
  ASSERT_TRUE(client_->send(bytes_of("last words"), {}, kWait));
  client_.reset();
  auto last = server_->receive(kMaxBytes, kMaxHandles, kWait);
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_EQ(last->bytes, bytes_of("last words"));
  auto after = server_->receive(kMaxBytes, kMaxHandles, kWait);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::Disconnected) << after.error().to_string();
  auto sent = server_->send(bytes_of("anyone?"), {}, kWait);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), ErrorCode::Disconnected) << sent.error().to_string();
}

TEST_P(TransportTest, ReceiveTimesOutAfterTheTimeout) {
  ASSERT_NO_FATAL_FAILURE(link());
  const auto start = std::chrono::steady_clock::now();
  auto result = server_->receive(kMaxBytes, kMaxHandles, 100ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Timeout) << result.error().to_string();
  EXPECT_GE(elapsed, 100ms);
  EXPECT_EQ(server_->receive(kMaxBytes, kMaxHandles, 0ms).error().code(), ErrorCode::Timeout);
}

TEST_P(TransportTest, InvalidSendsAreValidation) {
  ASSERT_NO_FATAL_FAILURE(link());
  EXPECT_EQ(client_->send({}, {}, kWait).error().code(), ErrorCode::Validation);
  const NativeHandle negative[] = {-1};
  EXPECT_EQ(client_->send(bytes_of("x"), negative, kWait).error().code(), ErrorCode::Validation);
  EXPECT_FALSE(readable(server_->native_handle())) << "nothing was sent";
}

TEST_P(TransportTest, OversizedMessageIsProtocolWithItsHandlesClosed) {
  ASSERT_NO_FATAL_FAILURE(link());
  UniqueFd memory = test::memfd_with("x");
  ASSERT_TRUE(memory);
  const NativeHandle handles[] = {memory.get(), memory.get()};
  const std::size_t before = open_fd_count();
  ASSERT_TRUE(client_->send(std::vector<std::uint8_t>(100, 7), handles, kWait));
  auto result = server_->receive(10, kMaxHandles, kWait);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Protocol) << result.error().to_string();
  EXPECT_EQ(open_fd_count(), before);
  ASSERT_TRUE(client_->send(bytes_of("next"), {}, kWait));
  auto next = server_->receive(10, kMaxHandles, kWait);
  ASSERT_TRUE(next) << "the connection goes on: " << next.error().to_string();
  EXPECT_EQ(next->bytes, bytes_of("next"));
}

TEST_P(TransportTest, TooManyHandlesIsProtocolWithThemClosed) {
  ASSERT_NO_FATAL_FAILURE(link());
  UniqueFd memory = test::memfd_with("x");
  ASSERT_TRUE(memory);
  const NativeHandle handles[] = {memory.get(), memory.get(), memory.get()};
  const std::size_t before = open_fd_count();
  for (const std::size_t max_handles : {std::size_t{0}, std::size_t{2}}) {
    SCOPED_TRACE("max_handles " + std::to_string(max_handles));
    ASSERT_TRUE(client_->send(bytes_of("three handles"), handles, kWait));
    auto result = server_->receive(kMaxBytes, max_handles, kWait);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::Protocol) << result.error().to_string();
    EXPECT_EQ(open_fd_count(), before);
  }
}

TEST_P(TransportTest, SecondListenIsRefusedUntilTheFirstIsDestroyed) {
  auto first = transport_->listen("taken");
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = transport_->listen("taken");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::Validation) << second.error().to_string();
  EXPECT_NE(second.error().message().find("channel taken is already published"), std::string::npos)
      << second.error().message();
  first->reset();
  auto again = transport_->listen("taken");
  EXPECT_TRUE(again) << again.error().to_string();
}

TEST_P(TransportTest, ListShowsThePublishedNamesSorted) {
  EXPECT_TRUE(transport_->list().value().empty());
  auto beta = transport_->listen("beta");
  auto alpha = transport_->listen("alpha");
  ASSERT_TRUE(alpha && beta);
  EXPECT_EQ(transport_->list().value(), (std::vector<std::string>{"alpha", "beta"}));
  beta->reset();
  EXPECT_EQ(transport_->list().value(), (std::vector<std::string>{"alpha"}));
}

TEST_P(TransportTest, ConnectToAnUnpublishedNameIsDisconnected) {
  auto never = transport_->connect("nobody-here", kWait);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().code(), ErrorCode::Disconnected) << never.error().to_string();
  transport_->listen("gone").value().reset();
  auto gone = transport_->connect("gone", kWait);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected) << gone.error().to_string();
  EXPECT_EQ(transport_->connect("bad/name", kWait).error().code(), ErrorCode::Validation);
  EXPECT_EQ(transport_->listen("bad/name").error().code(), ErrorCode::Validation);
}

TEST_P(TransportTest, DestroyingTheListenerDisconnectsUnacceptedClients) {
  auto listener = transport_->listen("short-lived");
  ASSERT_TRUE(listener) << listener.error().to_string();
  auto client = transport_->connect("short-lived", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  listener->reset();
  EXPECT_TRUE(readable((*client)->native_handle()));
  auto result = (*client)->receive(kMaxBytes, kMaxHandles, kWait);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::Disconnected) << result.error().to_string();
}

TEST_P(TransportTest, PeerCredentialsAreThisProcessForBothEnds) {
  ASSERT_NO_FATAL_FAILURE(link());
  for (const Connection* end : {client_.get(), server_.get()}) {
    EXPECT_EQ(end->peer().pid, ::getpid());
    EXPECT_EQ(end->peer().uid, ::geteuid());
    EXPECT_EQ(end->peer().gid, ::getegid());
  }
}

TEST_P(TransportTest, DescribeNamesTheTransport) {
  const std::string text = transport_->describe();
  if (GetParam() == Kind::Loopback) {
    EXPECT_EQ(text, "loopback");
  } else {
    EXPECT_EQ(text, "unix:" + (root_ / "run").string());
  }
}

INSTANTIATE_TEST_SUITE_P(BothTransports, TransportTest,
                         ::testing::Values(Kind::Unix, Kind::Loopback), kind_name);

// What only the loopback can show: posed credentials, full queues, many threads.
class LoopbackTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_ = open_fd_count();
    auto listener = transport_->listen("loopback");
    ASSERT_TRUE(listener) << listener.error().to_string();
    listener_ = std::move(*listener);
  }
  void TearDown() override {
    listener_.reset();
    transport_.reset();
    EXPECT_EQ(open_fd_count(), baseline_) << "descriptors leaked";
  }
  // Accepts the connection a connect has queued.
  std::unique_ptr<Connection> accept() {
    auto server = listener_->accept(kWait);
    EXPECT_TRUE(server) << server.error().to_string();
    return server ? std::move(*server) : nullptr;
  }

  std::size_t baseline_ = 0;
  std::shared_ptr<LoopbackTransport> transport_ = std::make_shared<LoopbackTransport>();
  std::unique_ptr<TransportListener> listener_;
};

TEST_F(LoopbackTransportTest, ConnectAsShowsThePosedCredentialsAtTheServerEnd) {
  const PeerCredentials posed{4242, ::geteuid() + 1000, ::getegid() + 1000};
  auto client = transport_->connect_as("loopback", posed, kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = accept();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->peer().pid, 4242);
  EXPECT_EQ(server->peer().uid, posed.uid);
  EXPECT_EQ(server->peer().gid, posed.gid);
  EXPECT_EQ((*client)->peer().pid, ::getpid()) << "the client sees the listener's process";
  EXPECT_EQ((*client)->peer().uid, ::geteuid());
  EXPECT_FALSE(check_peer(server->peer())) << "the default policy refuses another uid";
}

TEST_F(LoopbackTransportTest, ListenAsShowsThePosedCredentialsAtTheClientEnd) {
  // The server side's credentials, posed: what a receiver checks of its sender.
  const PeerCredentials posed{4343, 12345, 12345};
  auto listener = transport_->listen_as("posing", posed);
  ASSERT_TRUE(listener) << listener.error().to_string();
  auto client = transport_->connect("posing", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  EXPECT_EQ((*client)->peer().pid, 4343);
  EXPECT_EQ((*client)->peer().uid, 12345u);
  EXPECT_EQ((*client)->peer().gid, 12345u);
  auto server = (*listener)->accept(kWait);
  ASSERT_TRUE(server) << server.error().to_string();
  EXPECT_EQ((*server)->peer().uid, ::geteuid()) << "the server sees the real client";
  EXPECT_FALSE(check_peer((*client)->peer())) << "the default policy refuses another uid";
  EXPECT_EQ(transport_->listen_as("posing", posed).error().code(), ErrorCode::Validation);
}

TEST_F(LoopbackTransportTest, SendTimesOutWhileThePeersQueueIsFull) {
  auto client = transport_->connect("loopback", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = accept();
  ASSERT_TRUE(server);
  for (std::size_t i = 0; i < LoopbackTransport::kQueueDepth; ++i) {
    ASSERT_TRUE((*client)->send(bytes_of("fill"), {}, 0ms)) << "message " << i;
  }
  const auto start = std::chrono::steady_clock::now();
  auto full = (*client)->send(bytes_of("one too many"), {}, 50ms);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), ErrorCode::Timeout) << full.error().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  ASSERT_TRUE(server->receive(kMaxBytes, kMaxHandles, kWait));
  EXPECT_TRUE((*client)->send(bytes_of("room again"), {}, 0ms));
}

TEST_F(LoopbackTransportTest, ConnectTimesOutWhileTheBacklogIsFull) {
  std::vector<std::unique_ptr<Connection>> clients;
  for (std::size_t i = 0; i < LoopbackTransport::kBacklog; ++i) {
    auto client = transport_->connect("loopback", 0ms);
    ASSERT_TRUE(client) << "connection " << i << ": " << client.error().to_string();
    clients.push_back(std::move(*client));
  }
  auto full = transport_->connect("loopback", 50ms);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), ErrorCode::Timeout) << full.error().to_string();
  ASSERT_TRUE(accept());
  EXPECT_TRUE(transport_->connect("loopback", 0ms)) << "an accept made room";
}

TEST_F(LoopbackTransportTest, ListenersAndConnectionsOutliveTheTransport) {
  auto client = transport_->connect("loopback", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  transport_.reset();
  auto server = accept();
  ASSERT_TRUE(server);
  ASSERT_TRUE((*client)->send(bytes_of("still here"), {}, kWait));
  EXPECT_TRUE(server->receive(kMaxBytes, kMaxHandles, kWait));
}

// Sends `count` numbered messages with `file` attached, a batch at a time (each fits the
// peer's queue), and after each batch receives as many from the peer, checking their order
// and that each carries `peer_file`. Returns what went wrong, or nothing.
std::string exchange(Connection& end, int file, int peer_file, int count) {
  constexpr int kBatch = 100;
  const NativeHandle handles[] = {file};
  for (int first = 0; first < count; first += kBatch) {
    const int last = std::min(first + kBatch, count);
    for (int i = first; i < last; ++i) {
      auto sent = end.send(bytes_of(std::to_string(i)), handles, kWait);
      if (!sent) return "send #" + std::to_string(i) + ": " + sent.error().to_string();
    }
    for (int i = first; i < last; ++i) {
      auto packet = end.receive(kMaxBytes, kMaxHandles, kWait);
      if (!packet) return "receive #" + std::to_string(i) + ": " + packet.error().to_string();
      if (packet->bytes != bytes_of(std::to_string(i))) return "#" + std::to_string(i) + " late";
      if (packet->handles.size() != 1 || !same_file(packet->handles[0].get(), peer_file)) {
        return "#" + std::to_string(i) + " came without the peer's file";
      }
    }
  }
  return {};
}

TEST_F(LoopbackTransportTest, TwoThreadsExchangeTenThousandMessagesWithHandlesEachWay) {
  constexpr int kCount = 10000;
  auto client = transport_->connect("loopback", kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = accept();
  ASSERT_TRUE(server);
  UniqueFd client_file = test::memfd_with("client");
  UniqueFd server_file = test::memfd_with("server");
  ASSERT_TRUE(client_file && server_file);
  std::string client_error;
  std::string server_error;
  std::thread client_thread(
      [&] { client_error = exchange(**client, client_file.get(), server_file.get(), kCount); });
  std::thread server_thread(
      [&] { server_error = exchange(*server, server_file.get(), client_file.get(), kCount); });
  client_thread.join();
  server_thread.join();
  EXPECT_EQ(client_error, "");
  EXPECT_EQ(server_error, "");
  EXPECT_FALSE(readable((*client)->native_handle()));
  EXPECT_FALSE(readable(server->native_handle()));
}

}  // namespace
}  // namespace geyser::ipc
