// The wire protocol on Windows: a StreamDescription with real sections crosses the named pipe
// with every handle in its place; one whose handles do not match is refused and closes them.
#include <windows.h>

#include <string>

#include <gtest/gtest.h>

#include "geyser/ipc/message_io.hpp"
#include "geyser/ipc/named_pipe_transport.hpp"
#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr Milliseconds kWait = 5000ms;

// A section holding `label`, so that the receiver can tell which handle is which.
UniqueHandle labelled(const std::string& label) {
  UniqueHandle section = test::make_section(4096);
  EXPECT_TRUE(test::write_section(section.get(), label));
  return section;
}

StreamDescription sample_stream(std::size_t slots) {
  StreamDescription message;
  message.generation = 7;
  message.descriptor.width = 64;
  message.descriptor.height = 48;
  message.descriptor.format = TextureFormat::Rgba8Unorm;
  message.descriptor.usage = TextureUsage::Sampled | TextureUsage::TransferSrc;
  message.image = VulkanImageInfo{37, 0, 0x17, 0x8, 64 * 48 * 4, 1, true};
  message.handle_type = MemoryHandleType::OpaqueWin32;
  message.sync_mode = SyncMode::Cpu;
  message.board = labelled("board");
  message.page = labelled("page");
  for (std::size_t i = 0; i < slots; ++i) {
    const std::string n = std::to_string(i);
    message.slots.push_back(
        SlotHandles{labelled("memory " + n), labelled("ready " + n), labelled("released " + n)});
  }
  return message;
}

class WirePipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string channel = test::unique_channel("wire");
    auto listener = transport_.listen(channel);
    ASSERT_TRUE(listener) << listener.error().to_string();
    listener_ = std::move(*listener);
    auto client = transport_.connect(channel, kWait);
    ASSERT_TRUE(client) << client.error().to_string();
    client_ = std::move(*client);
    auto server = listener_->accept(kWait);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server);
  }
  test::TempDir dir_;
  NamedPipeTransport transport_{dir_.path()};
  std::unique_ptr<TransportListener> listener_;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
};

TEST_F(WirePipeTest, AStreamDescriptionArrivesWithEveryHandleInItsPlace) {
  const Message sent(sample_stream(3));
  ASSERT_TRUE(send(*server_, sent, kWait));
  auto received = receive(*client_, kWait);
  ASSERT_TRUE(received) << received.error().to_string();
  ASSERT_TRUE(std::holds_alternative<StreamDescription>(*received));
  const auto& stream = std::get<StreamDescription>(*received);
  EXPECT_EQ(stream.generation, std::get<StreamDescription>(sent).generation);
  EXPECT_EQ(stream.handle_type, MemoryHandleType::OpaqueWin32);
  EXPECT_EQ(stream.descriptor.width, 64u);
  EXPECT_EQ(test::read_section(stream.board.get(), 4096), "board");
  EXPECT_EQ(test::read_section(stream.page.get(), 4096), "page");
  ASSERT_EQ(stream.slots.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(test::read_section(stream.slots[i].memory.get(), 4096), "memory " + n);
    EXPECT_EQ(test::read_section(stream.slots[i].ready.get(), 4096), "ready " + n);
    EXPECT_EQ(test::read_section(stream.slots[i].released.get(), 4096), "released " + n);
  }
}

TEST_F(WirePipeTest, ADescriptionWithAHandleMissingIsProtocolAndClosesTheRest) {
  // The message owns what its encoding borrows: it lives until the handles are sent.
  const Message message(sample_stream(2));
  auto full = encode(message);
  ASSERT_TRUE(full) << full.error().to_string();
  std::vector<NativeHandle> short_list = full->handles;
  short_list.pop_back();
  const DWORD baseline = test::handle_count();
  ASSERT_TRUE(server_->send(full->bytes, short_list, kWait));
  auto received = receive(*client_, kWait);
  ASSERT_FALSE(received);
  EXPECT_EQ(received.error().code(), ErrorCode::Protocol) << received.error().to_string();
  EXPECT_EQ(test::handle_count(), baseline);
}

}  // namespace
}  // namespace geyser::ipc
