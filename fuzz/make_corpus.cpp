// Writes the seed corpus of the fuzz targets: valid encodings of every message type, made
// by the protocol v2 encoder, truncated variants, frame-board records and receiver-page words
// (the layouts of receiver_stream.cpp and sender_stream.cpp), and boards written by a real
// BoardWriter. Run from the build tree:
//   geyser_fuzz_make_corpus <source>/fuzz/corpus
// It replaces only the seed-* files (removing those it no longer makes); regress-* inputs
// (crashes found, kept) are left alone.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "fake_backend.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/wire.hpp"
#include "geyser/transfer.hpp"

using namespace geyser;

namespace {

std::filesystem::path g_root;

void write(const std::string& target, const std::string& name,
           const std::vector<std::uint8_t>& bytes) {
  const auto dir = g_root / target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> bytes_of(const ipc::Message& message) {
  auto encoded = ipc::encode(message);
  if (!encoded) {
    std::fprintf(stderr, "make_corpus: %s\n", encoded.error().to_string().c_str());
    std::exit(1);
  }
  return encoded->bytes;
}

// Removes the seeds of an earlier run, so that a seed this version no longer makes goes.
void remove_old_seeds() {
  for (const auto& dir : std::filesystem::directory_iterator(g_root)) {
    if (!dir.is_directory()) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path().filename().string().starts_with("seed-")) {
        std::filesystem::remove(entry.path());
      }
    }
  }
}

std::vector<std::uint8_t> cut(std::vector<std::uint8_t> bytes, std::size_t size) {
  bytes.resize(std::min(bytes.size(), size));
  return bytes;
}

UniqueHandle must(Result<UniqueHandle> handle) {
  if (!handle) {
    std::fprintf(stderr, "make_corpus: %s\n", handle.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(handle).value();
}

// A StreamDescription of generation `generation` over the first `count` slots of `backend`,
// with the shares of `board` and `page`: what a v2 sender sends. With `host`, the layout of
// host slots (docs/host-frames.md) over the same fds, as a host receiver is told.
std::vector<std::uint8_t> stream_description(channel::test::FakeSenderBackend& backend,
                                             const ipc::BoardWriter& board,
                                             const ipc::ReceiverPage& page,
                                             std::uint64_t generation, std::size_t count,
                                             bool host = false) {
  ipc::StreamDescription sd;
  sd.generation = generation;
  sd.descriptor = backend.slot_export(0).descriptor;
  sd.image = backend.slot_export(0).image;
  if (host) {
    const TextureDescriptor& d = sd.descriptor;
    ipc::describe_host_slots(sd, host_row_pitch(d.width, d.format),
                             host_slot_size(d.width, d.height, d.format));
  }
  sd.identity = backend.identity();
  sd.sync_mode = SyncMode::Cpu;
  sd.color = ColorDescription{ColorSpace::Bt709, AlphaMode::Premultiplied, Orientation::BottomUp};
  sd.board = must(board.share());
  sd.page = must(page.share());
  for (std::size_t i = 0; i < count; ++i) {
    auto link = backend.create_link(i, SyncMode::Cpu);
    auto sync = (*link)->export_handles();
    sd.slots.push_back(ipc::SlotHandles{must(backend.slot_export(i).os_handle.duplicate()),
                                        std::move(sync->ready), std::move(sync->released)});
  }
  return bytes_of(ipc::Message(std::move(sd)));
}

// A frame-board record as receiver_stream reads one (its own frame as timeline value, the
// shared layout: what a real sender writes), with `metadata` bytes.
std::vector<std::uint8_t> board_record(std::uint64_t generation, std::uint64_t frame,
                                       std::uint32_t slot, std::uint32_t metadata = 0,
                                       std::uint64_t timeline = 0) {
  std::vector<std::uint8_t> out;
  fuzz::put_u64(out, generation);
  fuzz::put_u64(out, frame);
  fuzz::put_u64(out, timeline != 0 ? timeline : frame);
  fuzz::put_u64(out, 1000 * frame);  // timestamp
  fuzz::put_u32(out, slot);
  fuzz::put_u32(out, kSharedImageLayout);
  fuzz::put_u32(out, metadata);
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(metadata, 256); ++i) {
    out.push_back(static_cast<std::uint8_t>(i));
  }
  return out;
}

// Receiver-page words as sender_stream reads them.
std::vector<std::uint8_t> page_words(std::uint32_t slot, std::uint64_t claimed,
                                     std::uint64_t released) {
  std::vector<std::uint8_t> out;
  fuzz::put_u32(out, slot);
  fuzz::put_u64(out, claimed);
  fuzz::put_u64(out, released);
  return out;
}

// The bytes of a board, read back through a share of it.
std::vector<std::uint8_t> board_bytes(const ipc::BoardWriter& board) {
  const UniqueHandle share = must(board.share());
  std::vector<std::uint8_t> out(ipc::kBoardSize);
  if (::pread(share.get(), out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
    std::fprintf(stderr, "make_corpus: cannot read a board back\n");
    std::exit(1);
  }
  return out;
}

// The first byte of a wire_decode input with `count` handles (memfds when `memfd`).
std::uint8_t handle_byte(std::size_t count, bool memfd) {
  for (unsigned byte = memfd ? 0x80 : 0; byte < 0x100; ++byte) {
    if (byte % (ipc::kMaxHandlesPerMessage + 2) == count && ((byte & 0x80) != 0) == memfd) {
      return static_cast<std::uint8_t>(byte);
    }
  }
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  std::filesystem::create_directories(g_root);
  remove_old_seeds();

  // A real ring, board and page for the StreamDescriptions: what the fuzz targets attach
  // comes from real ones too.
  auto control = std::make_shared<channel::test::FakeSenderControl>();
  channel::test::FakeSenderBackend backend(control);
  TextureDescriptor desc;
  desc.width = 8;
  desc.height = 4;
  if (!backend.create_slots(desc, 3)) return 1;
  auto board = ipc::BoardWriter::create();
  auto page = ipc::ReceiverPage::create();
  if (!board || !page) return 1;
  const auto sd_bytes = stream_description(backend, *board, *page, 1, 3);
  const auto sd2_bytes = stream_description(backend, *board, *page, 2, 3);
  const auto sd_host_bytes = stream_description(backend, *board, *page, 1, 3, true);
  constexpr std::size_t kSdHandles = ipc::kHandlesPerStream + 3 * ipc::kHandlesPerSlot;

  ipc::Hello hello;
  hello.client_pid = 1234;
  hello.identity = channel::test::fake_identity();
  const auto hello_bytes = bytes_of(hello);
  const auto describe = bytes_of(ipc::DescribeRequest{});
  ipc::Description description;
  description.width = 1920;
  description.height = 1080;
  description.fps_milli = 59940;
  description.frame_count = 7;
  description.receiver_count = 2;
  description.sender_pid = 42;
  description.color =
      ColorDescription{ColorSpace::Bt2020Pq, AlphaMode::Opaque, Orientation::TopDown};
  const auto description_bytes = bytes_of(description);
  const auto goodbye = bytes_of(ipc::Goodbye{});
  const auto error = bytes_of(ipc::ErrorMessage{ErrorCode::Protocol, "bad frame \xc3\xa9"});

  // wire_decode: a handle byte, then one message.
  const struct {
    const char* name;
    const std::vector<std::uint8_t>* bytes;
    std::uint8_t handles;
  } messages[] = {{"hello", &hello_bytes, 0},
                  {"stream-description", &sd_bytes, handle_byte(kSdHandles, false)},
                  {"stream-description-memfd", &sd_bytes, handle_byte(kSdHandles, true)},
                  {"stream-description-host", &sd_host_bytes, handle_byte(kSdHandles, true)},
                  {"describe-request", &describe, 0},
                  {"description", &description_bytes, 0},
                  {"goodbye", &goodbye, 0},
                  {"error", &error, 0}};
  for (const auto& m : messages) {
    std::vector<std::uint8_t> input{m.handles};
    input.insert(input.end(), m.bytes->begin(), m.bytes->end());
    write("wire_decode", m.name, input);
    for (std::size_t size : {std::size_t{8}, std::size_t{16}, m.bytes->size() - 1}) {
      std::vector<std::uint8_t> truncated{m.handles};
      const auto part = cut(*m.bytes, size);
      truncated.insert(truncated.end(), part.begin(), part.end());
      write("wire_decode", std::string(m.name) + "-cut" + std::to_string(size), truncated);
    }
  }
  write("wire_decode", "empty-body", {0});

  auto stream = [](std::initializer_list<std::pair<std::uint8_t, std::vector<std::uint8_t>>> rs) {
    std::vector<std::uint8_t> out;
    for (const auto& [flags, bytes] : rs) fuzz::append_record(out, flags, bytes);
    return out;
  };

  // receiver_stream: flag 1 ends a batch, 2 releases after the acquire, 4 makes the record a
  // board record, 8 sets its slot word first, 16 signals its ready timeline first.
  constexpr std::uint8_t kFrame = 0x04 | 0x08 | 0x10;  // a frame as a real sender presents it
  const auto rec1 = board_record(1, 1, 0);
  const auto rec2 = board_record(1, 2, 1);
  const auto rec3 = board_record(1, 3, 2, 16);
  write("receiver_stream", "description", stream({{1, sd_bytes}}));
  write("receiver_stream", "frames",
        stream({{1, sd_bytes},
                {kFrame | 1, rec1},
                {kFrame | 3, rec2},
                {kFrame | 1, rec3},
                {0, goodbye}}));
  write("receiver_stream", "frames-batched",
        stream({{0, sd_bytes}, {kFrame, rec1}, {kFrame | 1, rec2}}));
  write("receiver_stream", "frames-skipped",
        stream({{1, sd_bytes}, {kFrame, rec1}, {kFrame, rec2}, {kFrame | 1, rec3}}));
  write("receiver_stream", "description-twice",
        stream({{1, sd_bytes}, {kFrame | 1, rec1}, {1, sd_bytes}, {kFrame | 3, rec2}}));
  write("receiver_stream", "new-generation",
        stream({{1, sd_bytes},
                {kFrame | 1, rec1},
                {1, sd2_bytes},
                {kFrame | 3, board_record(2, 2, 0)}}));
  write("receiver_stream", "stale-generation",
        stream({{1, sd2_bytes}, {kFrame | 1, rec1}, {kFrame | 1, board_record(3, 2, 0)}}));
  write("receiver_stream", "word-left-alone", stream({{1, sd_bytes}, {0x14 | 1, rec1}}));
  write("receiver_stream", "not-signalled", stream({{1, sd_bytes}, {0x0c | 1, rec1}}));
  write("receiver_stream", "frame-backwards",
        stream({{1, sd_bytes}, {kFrame | 1, rec2}, {kFrame | 1, board_record(1, 1, 2)}}));
  write("receiver_stream", "bad-timeline",
        stream({{1, sd_bytes}, {kFrame | 1, board_record(1, 1, 0, 0, 7)}}));
  write("receiver_stream", "bad-slot",
        stream({{1, sd_bytes}, {kFrame | 1, board_record(1, 1, 9)}}));
  write("receiver_stream", "metadata-too-big",
        stream({{1, sd_bytes}, {kFrame | 1, board_record(1, 1, 0, 300)}}));
  write("receiver_stream", "truncated-record",
        stream({{1, sd_bytes}, {kFrame | 1, cut(rec1, 20)}}));
  write("receiver_stream", "frame-then-goodbye",
        stream({{1, sd_bytes}, {kFrame, rec1}, {1, goodbye}, {1, {}}}));
  write("receiver_stream", "error", stream({{1, sd_bytes}, {1, error}}));
  // A sender that refuses us after announcing a frame we never claimed (it is alive and
  // no longer reads our page): what the receiver may still hand out.
  write("receiver_stream", "error-after-frame",
        stream({{1, sd_bytes}, {kFrame, rec1}, {1, error}, {1, {}}}));
  write("receiver_stream", "error-first", stream({{1, error}}));
  write("receiver_stream", "goodbye-first", stream({{1, goodbye}}));
  write("receiver_stream", "frame-first", stream({{kFrame | 1, rec1}, {1, sd_bytes}}));
  write("receiver_stream", "truncated-description", stream({{1, cut(sd_bytes, 60)}}));
  write("receiver_stream", "description-reply", stream({{1, sd_bytes}, {1, description_bytes}}));

  // sender_stream: flag 1 writes a frame after, 2 resizes, 4 reconnects, 8 makes the record
  // words of the client's receiver page. Frame n of a fresh 3-slot ring is in slot n - 1.
  write("sender_stream", "hello", stream({{0, hello_bytes}}));
  write("sender_stream", "hello-frames",
        stream({{1, hello_bytes},
                {1, {}},
                {8, page_words(0, 1, 0)},
                {9, page_words(0, 1, 1)},
                {0, goodbye}}));
  write("sender_stream", "claims-two",
        stream({{1, hello_bytes},
                {1, {}},
                {1, {}},
                {8, page_words(0, 1, 0)},
                {9, page_words(1, 2, 0)},
                {1, {}}}));
  write("sender_stream", "claims-three",
        stream({{1, hello_bytes},
                {1, {}},
                {1, {}},
                {8, page_words(0, 1, 0)},
                {8, page_words(1, 2, 0)},
                {9, page_words(2, 3, 0)}}));
  write("sender_stream", "claims-wrong-frame",
        stream({{1, hello_bytes}, {8, page_words(0, 7, 0)}, {9, page_words(17, 1, 0)}}));
  write("sender_stream", "release-unheld", stream({{1, hello_bytes}, {9, page_words(0, 0, 1)}}));
  write("sender_stream", "claims-then-resize",
        stream({{1, hello_bytes}, {10, page_words(0, 1, 0)}, {9, page_words(0, 4, 0)}}));
  write("sender_stream", "hello-resize", stream({{3, hello_bytes}, {1, {}}, {0, goodbye}}));
  write("sender_stream", "claims-then-reconnect",
        stream({{1, hello_bytes}, {9, page_words(0, 1, 0)}, {5, hello_bytes}}));
  write("sender_stream", "describe", stream({{0, describe}}));
  write("sender_stream", "describe-then-hello", stream({{0, describe}, {4, hello_bytes}}));
  write("sender_stream", "hello-twice", stream({{0, hello_bytes}, {0, hello_bytes}}));
  write("sender_stream", "error", stream({{0, hello_bytes}, {1, error}}));
  write("sender_stream", "goodbye-first", stream({{0, goodbye}}));
  write("sender_stream", "truncated-hello", stream({{0, cut(hello_bytes, 20)}}));
  write("sender_stream", "description-from-receiver",
        stream({{0, hello_bytes}, {0, description_bytes}}));
  write("sender_stream", "stream-description-from-receiver",
        stream({{0, hello_bytes}, {0, sd_bytes}}));

  // board_reader: boards as a BoardWriter leaves them, whole and cut.
  write("board_reader", "empty", board_bytes(*board));
  for (std::uint64_t frame = 1; frame <= 3; ++frame) {
    ipc::FrameRecord record;
    record.generation = 1;
    record.frame = frame;
    record.timeline_value = frame;
    record.slot = static_cast<std::uint32_t>(frame - 1);
    record.layout = kSharedImageLayout;
    record.metadata_size = static_cast<std::uint32_t>(8 * frame);
    board->set_slot_frame(record.slot, frame);
    board->publish(record);
  }
  const auto three = board_bytes(*board);
  write("board_reader", "three-records", three);
  write("board_reader", "three-records-cut200", cut(three, 200));
  write("board_reader", "three-records-cut1200", cut(three, 1200));
  for (std::uint64_t frame = 4; frame <= 10; ++frame) {
    ipc::FrameRecord record;
    record.generation = 1;
    record.frame = frame;
    record.timeline_value = frame;
    record.slot = static_cast<std::uint32_t>(frame % 3);
    record.metadata_size = frame == 10 ? 300 : 0;  // a reader must not believe 300
    board->set_slot_frame(record.slot, frame);
    board->publish(record);
  }
  write("board_reader", "wrapped", board_bytes(*board));
  write("board_reader", "header-only", cut(three, 8));
  std::printf("make_corpus: wrote %s\n", g_root.c_str());
  return 0;
}
