// EventSet on Windows: wait() over events and a named pipe connection's handle, and
// native_handle() kept set while a member is.
#include "geyser/ipc/event_set.hpp"

#include <windows.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geyser/ipc/named_pipe_transport.hpp"
#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr Milliseconds kWait = 10000ms;

EventSet make_set() {
  auto set = EventSet::create();
  EXPECT_TRUE(set) << set.error().to_string();
  return std::move(set).value();
}

// Polls `handle` until its state is `set` (a hang guard of 30 s, not a timing check).
bool becomes(HANDLE handle, bool set) {
  for (int i = 0; i < 3000; ++i) {
    if ((WaitForSingleObject(handle, 0) == WAIT_OBJECT_0) == set) return true;
    Sleep(10);
  }
  return false;
}

TEST(EventSetWin32Test, WaitsForAPlainEventAndTimesOutWithoutOne) {
  EventSet set = make_set();
  const UniqueHandle event = test::make_event();
  ASSERT_TRUE(set.add(event.get()));
  ASSERT_TRUE(set.add(event.get())) << "adding a member twice is no error";
  EXPECT_FALSE(set.wait(20ms));
  ASSERT_TRUE(SetEvent(event.get()));
  EXPECT_TRUE(set.wait(kWait));
  EXPECT_TRUE(set.wait(0ms)) << "a set member stays set until its owner resets it";
  ASSERT_TRUE(ResetEvent(event.get()));
  EXPECT_FALSE(set.wait(0ms));
  set.remove(event.get());
  ASSERT_TRUE(SetEvent(event.get()));
  EXPECT_FALSE(set.wait(20ms)) << "a removed member still wakes the set";
  EXPECT_FALSE(make_set().wait(0ms)) << "an empty set";
}

TEST(EventSetWin32Test, WakesOnAPipeConnectionsMessage) {
  test::TempDir dir;
  NamedPipeTransport transport{dir.path()};
  const std::string channel = test::unique_channel("eventset");
  auto listener = transport.listen(channel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  auto client = transport.connect(channel, kWait);
  ASSERT_TRUE(client) << client.error().to_string();
  auto server = (*listener)->accept(kWait);
  ASSERT_TRUE(server) << server.error().to_string();
  EventSet set = make_set();
  ASSERT_TRUE(set.add((*server)->native_handle()));
  EXPECT_FALSE(set.wait(20ms));
  const std::string text = "wake up";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size());
  ASSERT_TRUE((*client)->send(bytes, {}, kWait));
  EXPECT_TRUE(set.wait(kWait));
  auto packet = (*server)->receive(64, 0, kWait);
  ASSERT_TRUE(packet) << packet.error().to_string();
  EXPECT_EQ(std::string(packet->bytes.begin(), packet->bytes.end()), text);
  EXPECT_FALSE(set.wait(0ms)) << "nothing waits once the message is read";
}

TEST(EventSetWin32Test, NativeHandleIsSetWhileAMemberIs) {
  EventSet set = make_set();
  const UniqueHandle first = test::make_event();
  const UniqueHandle second = test::make_event();
  ASSERT_TRUE(set.add(first.get()));
  const HANDLE native = set.native_handle();
  ASSERT_NE(native, nullptr);
  EXPECT_EQ(WaitForSingleObject(native, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(SetEvent(first.get()));
  EXPECT_EQ(WaitForSingleObject(native, 10000), static_cast<DWORD>(WAIT_OBJECT_0));
  // Level-triggered: still set, however often it is looked at, until the member is reset.
  EXPECT_EQ(WaitForSingleObject(native, 0), static_cast<DWORD>(WAIT_OBJECT_0));
  ASSERT_TRUE(ResetEvent(first.get()));
  EXPECT_TRUE(becomes(native, false));
  // A member added after the watcher started counts too.
  ASSERT_TRUE(set.add(second.get()));
  ASSERT_TRUE(SetEvent(second.get()));
  EXPECT_TRUE(becomes(native, true));
  set.remove(second.get());
  EXPECT_TRUE(becomes(native, false)) << "a removed member keeps the set's handle set";
}

TEST(EventSetWin32Test, RefusesMoreMembersThanWindowsCanWaitFor) {
  EventSet set = make_set();
  std::vector<UniqueHandle> events;
  for (std::size_t i = 0; i < EventSet::kMaxMembers; ++i) {
    events.push_back(test::make_event());
    ASSERT_TRUE(set.add(events.back().get())) << "member " << i;
  }
  const UniqueHandle one_more = test::make_event();
  auto refused = set.add(one_more.get());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Unsupported) << refused.error().to_string();
  ASSERT_TRUE(SetEvent(events.back().get()));
  EXPECT_TRUE(set.wait(kWait)) << "the 63rd member";
}

TEST(EventSetWin32Test, AnEmptyHandleIsRefused) {
  EventSet set = make_set();
  auto empty = set.add(nullptr);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::Validation) << empty.error().to_string();
}

}  // namespace
}  // namespace geyser::ipc
