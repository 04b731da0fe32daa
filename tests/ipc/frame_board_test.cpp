// The frame board and receiver pages: records read back whole, never torn while the sender
// writes, refused when the region is not a board, a wait that a publish ends, and the mail
// word that only wakes move.
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "geyser/ipc/frame_board.hpp"

namespace geyser::ipc::test {
namespace {

using namespace std::chrono_literals;

FrameRecord record_for(std::uint64_t frame) {
  FrameRecord r;
  r.generation = 3;
  r.frame = frame;
  r.timeline_value = frame;
  r.timestamp_ns = frame * 1000;
  r.slot = static_cast<std::uint32_t>(frame % 5);
  r.layout = 1;
  r.metadata_size = static_cast<std::uint32_t>(frame % (kMaxFrameMetadata + 1));
  std::memset(r.metadata.data(), static_cast<int>(frame & 0xff), r.metadata_size);
  return r;
}

struct Board {
  BoardWriter writer = BoardWriter::create().value();
  BoardReader reader = BoardReader::open(writer.share().value()).value();
};

TEST(FrameBoard, ARecordReadsBackWhole) {
  Board board;
  EXPECT_FALSE(board.reader.newest()) << "nothing published yet";
  for (std::uint64_t frame = 1; frame <= 20; ++frame) {
    board.writer.publish(record_for(frame * 13));
    const auto got = board.reader.newest();
    ASSERT_TRUE(got);
    const FrameRecord want = record_for(frame * 13);
    EXPECT_EQ(got->generation, want.generation);
    EXPECT_EQ(got->frame, want.frame);
    EXPECT_EQ(got->timeline_value, want.timeline_value);
    EXPECT_EQ(got->timestamp_ns, want.timestamp_ns);
    EXPECT_EQ(got->slot, want.slot);
    EXPECT_EQ(got->layout, want.layout);
    ASSERT_EQ(got->metadata_size, want.metadata_size);
    EXPECT_EQ(std::memcmp(got->metadata.data(), want.metadata.data(), want.metadata_size), 0);
    EXPECT_EQ(board.reader.published(), frame);
  }
}

TEST(FrameBoard, SlotFramesAreSeenByTheReader) {
  Board board;
  board.writer.set_slot_frame(2, 41);
  EXPECT_EQ(board.reader.slot_frame(2), 41u);
  board.writer.set_slot_frame(2, 0);
  EXPECT_EQ(board.reader.slot_frame(2), 0u);
}

TEST(FrameBoard, ReadsAreNeverTornWhileTheSenderWrites) {
  Board board;
  constexpr std::uint64_t kFrames = 200000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t frame = 1; frame <= kFrames; ++frame)
      board.writer.publish(record_for(frame));
    done = true;
  });
  std::uint64_t last = 0;
  std::uint64_t reads = 0;
  while (!done || last < kFrames) {
    const auto got = board.reader.newest();
    if (!got) continue;
    ++reads;
    ASSERT_GE(got->frame, last) << "went backwards";
    ASSERT_EQ(got->timeline_value, got->frame) << "torn record";
    ASSERT_EQ(got->timestamp_ns, got->frame * 1000) << "torn record";
    ASSERT_EQ(got->metadata_size, got->frame % (kMaxFrameMetadata + 1)) << "torn record";
    for (std::uint32_t i = 0; i < got->metadata_size; ++i) {
      ASSERT_EQ(got->metadata[i], static_cast<std::uint8_t>(got->frame & 0xff)) << "torn metadata";
    }
    last = got->frame;
  }
  writer.join();
  EXPECT_EQ(last, kFrames);
  EXPECT_GT(reads, 0u);
}

TEST(FrameBoard, AWaitEndsWhenTheSenderPublishes) {
  Board board;
  const std::uint32_t seen = board.reader.wake_count();
  std::thread writer([&] {
    std::this_thread::sleep_for(30ms);
    board.writer.publish(record_for(1));
  });
  const auto start = std::chrono::steady_clock::now();
  while (board.reader.wake_count() == seen && std::chrono::steady_clock::now() - start < 5s) {
    ASSERT_TRUE(board.reader.wait(seen, 5s));
  }
  writer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  ASSERT_TRUE(board.reader.newest());
}

TEST(FrameBoard, TheMailWordMovesOnAWakeButNotOnAPublish) {
  Board board;
  const std::uint32_t mail = board.reader.mail_count();
  const std::uint32_t wakes = board.reader.wake_count();
  board.writer.publish(record_for(1));
  EXPECT_EQ(board.reader.mail_count(), mail);
  EXPECT_EQ(board.reader.wake_count(), wakes + 1);
  board.writer.wake();
  EXPECT_EQ(board.reader.mail_count(), mail + 1);
  EXPECT_EQ(board.reader.wake_count(), wakes + 2);
}

TEST(FrameBoard, OpenRefusesWhatIsNotABoard) {
  auto zeros = SharedMemory::create("zeros", kBoardSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(zeros);
  auto a = BoardReader::open(zeros->share().value());
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::Protocol);
  // A page is writable by peers: no board, whatever its header says.
  auto page = ReceiverPage::create();
  ASSERT_TRUE(page);
  auto b = BoardReader::open(page->share().value());
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::Protocol);
  auto c = ReceiverPage::open(BoardWriter::create()->share().value());
  ASSERT_FALSE(c) << "a board is no receiver page";
  EXPECT_EQ(c.error().code(), ErrorCode::Protocol);
}

TEST(ReceiverPage, ClaimsAndReleasesAreSeenByTheSender) {
  auto senders = ReceiverPage::create();
  ASSERT_TRUE(senders);
  auto receivers = ReceiverPage::open(senders->share().value());
  ASSERT_TRUE(receivers) << receivers.error().to_string();
  receivers->claim(4, 17);
  EXPECT_EQ(senders->claimed(4), 17u);
  EXPECT_EQ(senders->released(4), 0u);
  receivers->release(4, 17);
  EXPECT_EQ(senders->released(4), 17u);
}

}  // namespace
}  // namespace geyser::ipc::test
