// The in-process loopback transport on Windows: events as native handles, HANDLEs duplicated.
#include "geyser/ipc/loopback_transport.hpp"

#include <windows.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr Milliseconds kWait = 5000ms;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}
bool readable(NativeHandle handle) {
  return WaitForSingleObject(handle, 0) == WAIT_OBJECT_0;
}

class LoopbackWin32Test : public ::testing::Test {
 protected:
  void link(const PeerCredentials* client_as = nullptr) {
    auto listener = transport_.listen("loop");
    ASSERT_TRUE(listener) << listener.error().to_string();
    listener_ = std::move(*listener);
    auto client = client_as ? transport_.connect_as("loop", *client_as, kWait)
                            : transport_.connect("loop", kWait);
    ASSERT_TRUE(client) << client.error().to_string();
    client_ = std::move(*client);
    EXPECT_TRUE(readable(listener_->native_handle()));
    auto server = listener_->accept(kWait);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server);
    EXPECT_FALSE(readable(listener_->native_handle()));
  }
  LoopbackTransport transport_;
  std::unique_ptr<TransportListener> listener_;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
};

TEST_F(LoopbackWin32Test, MessagesAndThePeerAreThisProcess) {
  ASSERT_NO_FATAL_FAILURE(link());
  EXPECT_FALSE(readable(server_->native_handle()));
  ASSERT_TRUE(client_->send(bytes_of("hi"), {}, kWait));
  EXPECT_TRUE(readable(server_->native_handle()));
  auto packet = server_->receive(16, 0, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  EXPECT_EQ(packet->bytes, bytes_of("hi"));
  EXPECT_FALSE(readable(server_->native_handle()));
  EXPECT_EQ(server_->peer().pid, GetCurrentProcessId());
  EXPECT_EQ(server_->peer().sid.rfind("S-1-", 0), 0u);
  EXPECT_TRUE(check_peer(server_->peer()));
  auto names = transport_.list();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"loop"});
  auto twice = transport_.listen("loop");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), ErrorCode::Validation);
}

TEST_F(LoopbackWin32Test, HandlesAreDuplicatedAndBoundsCloseThem) {
  ASSERT_NO_FATAL_FAILURE(link());
  const UniqueHandle event = test::make_event();
  const NativeHandle attached[] = {event.get(), event.get()};
  const DWORD baseline = test::handle_count();
  ASSERT_TRUE(client_->send(bytes_of("two"), attached, kWait));
  EXPECT_EQ(test::handle_count(), baseline + 2);
  auto packet = server_->receive(16, 2, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  ASSERT_EQ(packet->handles.size(), 2u);
  ASSERT_TRUE(SetEvent(packet->handles[1].get()));
  EXPECT_TRUE(readable(event.get()));
  packet->handles.clear();
  EXPECT_EQ(test::handle_count(), baseline);
  ASSERT_TRUE(client_->send(bytes_of("two"), attached, kWait));
  auto refused = server_->receive(16, 1, kWait);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Protocol);
  EXPECT_EQ(test::handle_count(), baseline);
  const NativeHandle empty[] = {INVALID_HANDLE_VALUE};
  auto bad = client_->send(bytes_of("x"), empty, kWait);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::Validation) << bad.error().to_string();
}

TEST_F(LoopbackWin32Test, ConnectAsPosesAsAnotherUser) {
  const PeerCredentials stranger{4242, "S-1-5-21-9-9-9-1001"};
  ASSERT_NO_FATAL_FAILURE(link(&stranger));
  EXPECT_EQ(server_->peer().pid, 4242u);
  auto refused = check_peer(server_->peer());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::PermissionDenied);
}

TEST_F(LoopbackWin32Test, ClosingOneEndIsDisconnectedAtTheOther) {
  ASSERT_NO_FATAL_FAILURE(link());
  client_.reset();
  EXPECT_TRUE(readable(server_->native_handle()));
  auto closed = server_->receive(16, 0, 0ms);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), ErrorCode::Disconnected);
  auto sent = server_->send(bytes_of("x"), {}, kWait);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), ErrorCode::Disconnected);
}

}  // namespace
}  // namespace geyser::ipc
