// Cross-process waits on Windows, against geyser_pipe_peer.exe: a CpuTimeline signalled
// in each direction, and a frame board whose publish wakes several waiters in the child.
// The waits that a wake must end have no timeout to speak of (an hour): a bounded wait
// re-reads when it times out, which would hide a lost wake. A lost wake therefore hangs the
// test until ctest's timeout (300 s), or fails it through the child's exit and a receive's
// Timeout; either way it fails.
#include <windows.h>

#include <string>

#include <gtest/gtest.h>

#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/named_pipe_transport.hpp"
#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr Milliseconds kWait = 10000ms;
constexpr DWORD kChildWait = 30000;

std::string text_of(const Packet& packet) {
  return std::string(packet.bytes.begin(), packet.bytes.end());
}
std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

class WakeProcessTest : public ::testing::Test {
 protected:
  // Publishes a channel, starts the peer in `mode` and accepts it.
  std::unique_ptr<Connection> start(const wchar_t* mode) {
    const std::string channel = test::unique_channel("wake");
    auto listener = transport_.listen(channel);
    EXPECT_TRUE(listener) << listener.error().to_string();
    if (!listener) return nullptr;
    child_ = std::make_unique<test::PeerProcess>(std::vector<std::wstring>{
        dir_.path().wstring(), std::wstring(channel.begin(), channel.end()), mode});
    EXPECT_TRUE(child_->started());
    auto connection = (*listener)->accept(kWait);
    EXPECT_TRUE(connection) << connection.error().to_string();
    return connection ? std::move(*connection) : nullptr;
  }
  std::string receive(Connection& connection) {
    auto packet = connection.receive(64, 0, kWait);
    EXPECT_TRUE(packet) << packet.error().to_string();
    return packet ? text_of(*packet) : std::string();
  }
  test::TempDir dir_;
  NamedPipeTransport transport_{dir_.path()};
  std::unique_ptr<test::PeerProcess> child_;
};

TEST_F(WakeProcessTest, ATimelineIsSignalledAndWaitedOnInBothDirections) {
  auto connection = start(L"timeline");
  ASSERT_TRUE(connection);
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(timeline) << timeline.error().to_string();
  auto handle = timeline->export_handle();
  ASSERT_TRUE(handle) << handle.error().to_string();
  const NativeHandle attached[] = {handle->get()};
  ASSERT_TRUE(connection->send(bytes_of("timeline"), attached, kWait));
  ASSERT_EQ(receive(*connection), "ready");  // the child's wait for 100 timed out
  timeline->signal(5);                       // ends the child's wait for 5
  auto seven = timeline->wait(7, std::chrono::hours(1));
  ASSERT_TRUE(seven) << seven.error().to_string();
  EXPECT_EQ(timeline->value(), 7u);
  EXPECT_EQ(receive(*connection), "done");
  connection.reset();
  EXPECT_EQ(child_->wait(kChildWait), 0u);
}

TEST_F(WakeProcessTest, OnePublishWakesEveryWaiterInAnotherProcess) {
  auto connection = start(L"board");
  ASSERT_TRUE(connection);
  auto board = BoardWriter::create();
  ASSERT_TRUE(board) << board.error().to_string();
  auto handle = board->share();
  ASSERT_TRUE(handle) << handle.error().to_string();
  const NativeHandle attached[] = {handle->get()};
  ASSERT_TRUE(connection->send(bytes_of("board"), attached, kWait));
  ASSERT_EQ(receive(*connection), "ready");  // its three waiters have read the count
  FrameRecord record;
  record.generation = 1;
  record.frame = 42;
  record.timeline_value = 42;
  board->publish(record);
  EXPECT_EQ(receive(*connection), "woken 42");
  connection.reset();
  EXPECT_EQ(child_->wait(kChildWait), 0u);
}

}  // namespace
}  // namespace geyser::ipc
