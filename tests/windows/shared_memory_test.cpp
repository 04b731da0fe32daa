// SharedMemory on Windows: file-mapping sections, in process and with a child process.
#include "geyser/ipc/shared_memory.hpp"

#include <windows.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "geyser/ipc/named_pipe_transport.hpp"
#include "pipe_test_support.hpp"

namespace geyser::ipc {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSize = 10000;  // not a whole number of pages

std::string text_in(const SharedMemory& memory) {
  const auto bytes = memory.bytes();
  const char* data = reinterpret_cast<const char*>(bytes.data());
  return std::string(data, strnlen(data, bytes.size()));
}
void put_text(const SharedMemory& memory, const std::string& text) {
  std::memcpy(memory.bytes().data(), text.c_str(), text.size() + 1);
}

// Whether `handle` (borrowed) lets anyone map its section writable, directly or through a
// wider handle asked of DuplicateHandle.
bool can_map_writable(HANDLE handle) {
  if (void* view = MapViewOfFile(handle, FILE_MAP_WRITE, 0, 0, 0)) {
    UnmapViewOfFile(view);
    return true;
  }
  HANDLE wider = nullptr;
  const HANDLE self = GetCurrentProcess();
  if (!DuplicateHandle(self, handle, self, &wider, FILE_MAP_WRITE | FILE_MAP_READ, FALSE, 0)) {
    return false;
  }
  const UniqueHandle owned(wider);
  void* view = MapViewOfFile(wider, FILE_MAP_WRITE, 0, 0, 0);
  if (view != nullptr) UnmapViewOfFile(view);
  return view != nullptr;
}

TEST(SharedMemoryWin32Test, CreateGivesAZeroedWritableRegion) {
  auto memory = SharedMemory::create("zeroed", kSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(memory) << memory.error().to_string();
  EXPECT_TRUE(memory->writable());
  ASSERT_EQ(memory->bytes().size(), kSize);
  for (const std::byte b : memory->bytes()) ASSERT_EQ(b, std::byte{0});
  memory->bytes()[kSize - 1] = std::byte{42};
  auto empty = SharedMemory::create("empty", 0, SharedAccess::PeersWrite);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::Validation);
}

TEST(SharedMemoryWin32Test, PeersWriteIsWritableOnBothSides) {
  auto creator = SharedMemory::create("both", kSize, SharedAccess::PeersWrite);
  ASSERT_TRUE(creator) << creator.error().to_string();
  auto handle = creator->share();
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto peer = SharedMemory::open(std::move(*handle), kSize, SharedAccess::PeersWrite);
  ASSERT_TRUE(peer) << peer.error().to_string();
  EXPECT_TRUE(peer->writable());
  put_text(*creator, "from the creator");
  EXPECT_EQ(text_in(*peer), "from the creator");
  put_text(*peer, "from the peer");
  EXPECT_EQ(text_in(*creator), "from the peer");
}

TEST(SharedMemoryWin32Test, CreatorWritesSharesAHandleThatCannotWrite) {
  auto creator = SharedMemory::create("board", kSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(creator) << creator.error().to_string();
  put_text(*creator, "board");
  auto handle = creator->share();
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_FALSE(can_map_writable(handle->get()));
  auto reader = SharedMemory::open(std::move(*handle), kSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(reader) << reader.error().to_string();
  EXPECT_FALSE(reader->writable());
  EXPECT_EQ(text_in(*reader), "board");
  // A PeersWrite open of it fails too: the handle cannot map it writable.
  auto again = creator->share();
  ASSERT_TRUE(again);
  auto writer = SharedMemory::open(std::move(*again), kSize, SharedAccess::PeersWrite);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code(), ErrorCode::Validation) << writer.error().to_string();
}

TEST(SharedMemoryWin32Test, OpenRefusesWhatIsNotTheRightSection) {
  auto event = test::make_event();
  auto not_section = SharedMemory::open(std::move(event), kSize, SharedAccess::PeersWrite);
  ASSERT_FALSE(not_section);
  EXPECT_EQ(not_section.error().code(), ErrorCode::Validation);

  auto creator = SharedMemory::create("sized", kSize, SharedAccess::PeersWrite);
  ASSERT_TRUE(creator) << creator.error().to_string();
  auto handle = creator->share();
  ASSERT_TRUE(handle);
  auto larger = SharedMemory::open(std::move(*handle), kSize * 4, SharedAccess::PeersWrite);
  ASSERT_FALSE(larger);
  EXPECT_EQ(larger.error().code(), ErrorCode::Validation) << larger.error().to_string();

  // A writable handle is no CreatorWrites region: other peers could write it.
  auto writable = creator->share();
  ASSERT_TRUE(writable);
  auto board = SharedMemory::open(std::move(*writable), kSize, SharedAccess::CreatorWrites);
  ASSERT_FALSE(board);
  EXPECT_EQ(board.error().code(), ErrorCode::Validation) << board.error().to_string();
}

TEST(SharedMemoryWin32Test, AChildMapsBothKindsOverThePipe) {
  test::TempDir dir;
  NamedPipeTransport transport(dir.path());
  const std::string channel = test::unique_channel("shm");
  auto listener = transport.listen(channel);
  ASSERT_TRUE(listener) << listener.error().to_string();
  test::PeerProcess child(
      {dir.path().wstring(), std::wstring(channel.begin(), channel.end()), L"shm"});
  ASSERT_TRUE(child.started());
  auto connection = (*listener)->accept(10000ms);
  ASSERT_TRUE(connection) << connection.error().to_string();

  auto board = SharedMemory::create("board", kSize, SharedAccess::CreatorWrites);
  auto page = SharedMemory::create("page", kSize, SharedAccess::PeersWrite);
  ASSERT_TRUE(board && page);
  put_text(*board, "the board");
  auto board_handle = board->share();
  auto page_handle = page->share();
  ASSERT_TRUE(board_handle && page_handle);
  const NativeHandle attached[] = {board_handle->get(), page_handle->get()};
  const std::string size = std::to_string(kSize);
  ASSERT_TRUE((*connection)
                  ->send({reinterpret_cast<const std::uint8_t*>(size.data()), size.size()},
                         attached, 10000ms));
  auto reply = (*connection)->receive(64, 0, 10000ms);
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(std::string(reply->bytes.begin(), reply->bytes.end()), "mapped");
  EXPECT_EQ(text_in(*page), "the child read: the board");
  EXPECT_EQ(text_in(*board), "the board");
  connection->reset();
  EXPECT_EQ(child.wait(20000), 0u);
}

}  // namespace
}  // namespace geyser::ipc
