// The named pipe transport between two Wine processes: this test and geyser_pipe_peer.exe.
#include <windows.h>

#include <string>

#include <gtest/gtest.h>

#include "geyser/ipc/named_pipe_transport.hpp"
#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr Milliseconds kWait = 10000ms;
constexpr DWORD kChildWait = 20000;

std::wstring wide(const std::string& text) {
  return std::wstring(text.begin(), text.end());
}
std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

class NamedPipeProcessTest : public ::testing::Test {
 protected:
  test::PeerProcess start(const std::string& channel, const wchar_t* mode) {
    return test::PeerProcess({dir_.path().wstring(), wide(channel), mode});
  }
  test::TempDir dir_;
  NamedPipeTransport transport_{dir_.path()};
};

TEST_F(NamedPipeProcessTest, SectionAndEventPassedToAChildAreUsedThere) {
  const std::string channel = test::unique_channel("echo");
  auto listener = transport_.listen(channel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  test::PeerProcess child = start(channel, L"echo");
  ASSERT_TRUE(child.started());
  auto connection = (*listener)->accept(kWait);
  ASSERT_TRUE(connection) << connection.error().to_string();
  EXPECT_EQ((*connection)->peer().pid, child.pid());

  const UniqueHandle section = test::make_section(4096);
  const UniqueHandle event = test::make_event();
  const std::string text = "written by the parent";
  ASSERT_TRUE(test::write_section(section.get(), text));
  const NativeHandle attached[] = {section.get(), event.get()};
  ASSERT_TRUE((*connection)->send(bytes_of(text), attached, kWait));

  // The child wrote through its duplicate of the section and set its duplicate of the event.
  ASSERT_EQ(WaitForSingleObject(event.get(), 10000), WAIT_OBJECT_0);
  EXPECT_EQ(test::read_section(section.get(), 4096), "child read: " + text);
  // And passed a section of its own back.
  auto reply = (*connection)->receive(64, 4, kWait);
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(std::string(reply->bytes.begin(), reply->bytes.end()), "done");
  ASSERT_EQ(reply->handles.size(), 1u);
  EXPECT_EQ(test::read_section(reply->handles[0].get(), 4096), "from the child");
  connection->reset();
  EXPECT_EQ(child.wait(kChildWait), 0u);
}

TEST_F(NamedPipeProcessTest, AChildServerPassesHandlesToItsClient) {
  const std::string channel = test::unique_channel("serve");
  test::PeerProcess child = start(channel, L"serve");
  ASSERT_TRUE(child.started());
  // Until the child has published the channel, connect finds nobody.
  Result<std::unique_ptr<Connection>> connection = fail(ErrorCode::Disconnected, "not tried yet");
  for (int i = 0; i < 200 && !connection; ++i) {
    connection = transport_.connect(channel, kWait);
    if (!connection && connection.error().code() != ErrorCode::Disconnected) break;
    if (!connection) Sleep(50);
  }
  ASSERT_TRUE(connection) << connection.error().to_string();
  EXPECT_EQ((*connection)->peer().pid, child.pid());
  auto packet = (*connection)->receive(64, 4, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  ASSERT_EQ(packet->handles.size(), 2u);
  EXPECT_EQ(test::read_section(packet->handles[0].get(), 4096), "from the server");
  ASSERT_TRUE(test::write_section(packet->handles[0].get(), "client wrote"));
  ASSERT_TRUE(SetEvent(packet->handles[1].get()));
  EXPECT_EQ(child.wait(kChildWait), 0u);
}

TEST_F(NamedPipeProcessTest, PeerDeathIsDisconnected) {
  const std::string channel = test::unique_channel("die");
  auto listener = transport_.listen(channel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  test::PeerProcess child = start(channel, L"die");
  ASSERT_TRUE(child.started());
  auto connection = (*listener)->accept(kWait);
  ASSERT_TRUE(connection) << connection.error().to_string();
  auto hello = (*connection)->receive(64, 0, kWait);
  ASSERT_TRUE(hello) << hello.error().to_string();
  EXPECT_EQ(child.wait(kChildWait), 7u);
  auto gone = (*connection)->receive(64, 0, kWait);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Disconnected) << gone.error().to_string();
  // A send with a handle to the dead process is Disconnected too, and leaks nothing here.
  const UniqueHandle event = test::make_event();
  const NativeHandle attached[] = {event.get()};
  const DWORD baseline = test::handle_count();
  auto sent = (*connection)->send(bytes_of("anyone?"), attached, kWait);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), ErrorCode::Disconnected) << sent.error().to_string();
  EXPECT_EQ(test::handle_count(), baseline);
}

TEST_F(NamedPipeProcessTest, AnotherProcessListsTheChannel) {
  const std::string channel = test::unique_channel("listed");
  auto listener = transport_.listen(channel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  test::PeerProcess child = start(channel, L"list");
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.wait(kChildWait), 0u);
}

TEST_F(NamedPipeProcessTest, ANameHeldByAnotherProcessCannotBePublished) {
  const std::string channel = test::unique_channel("held");
  test::PeerProcess child = start(channel, L"serve");
  ASSERT_TRUE(child.started());
  Result<std::unique_ptr<TransportListener>> listener = fail(ErrorCode::Internal, "not tried");
  // Wait until the child holds the name (it then shows in list()).
  for (int i = 0; i < 200; ++i) {
    auto names = transport_.list();
    if (names && std::find(names->begin(), names->end(), channel) != names->end()) break;
    Sleep(50);
  }
  listener = transport_.listen(channel);
  ASSERT_FALSE(listener);
  EXPECT_EQ(listener.error().code(), ErrorCode::Validation) << listener.error().to_string();
  // Let the child finish: connect, take its handles, answer.
  auto connection = transport_.connect(channel, kWait);
  ASSERT_TRUE(connection) << connection.error().to_string();
  auto packet = (*connection)->receive(64, 4, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  ASSERT_EQ(packet->handles.size(), 2u);
  ASSERT_TRUE(test::write_section(packet->handles[0].get(), "client wrote"));
  ASSERT_TRUE(SetEvent(packet->handles[1].get()));
  EXPECT_EQ(child.wait(kChildWait), 0u);
}

}  // namespace
}  // namespace geyser::ipc
