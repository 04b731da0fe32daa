// Writes the seed corpus of the fuzz targets: valid encodings of every message type, made
// by the encoder, and truncated variants. Run from the build tree:
//   geyser_fuzz_make_corpus <source>/fuzz/corpus
// It rewrites only the seed-* files; regress-* inputs (crashes found, kept) are left alone.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "fake_backend.hpp"
#include "geyser/ipc/wire.hpp"

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

std::vector<std::uint8_t> cut(std::vector<std::uint8_t> bytes, std::size_t size) {
  bytes.resize(std::min(bytes.size(), size));
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];

  // A real ring for the StreamDescription: what the fuzz targets attach comes from one too.
  auto control = std::make_shared<channel::test::FakeSenderControl>();
  channel::test::FakeSenderBackend backend(control);
  TextureDescriptor desc;
  desc.width = 8;
  desc.height = 4;
  if (!backend.create_slots(desc, 3)) return 1;
  ipc::StreamDescription sd;
  sd.generation = 1;
  sd.descriptor = desc;
  sd.image = backend.slot_export(0).image;
  sd.identity = control->identity;
  sd.sync_mode = SyncMode::Cpu;
  for (std::size_t i = 0; i < 3; ++i) {
    auto link = backend.create_link(i, SyncMode::Cpu);
    auto sync = (*link)->export_handles();
    auto memory = backend.slot_export(i).os_handle.duplicate();
    sd.slots.push_back(ipc::SlotHandles{std::move(memory).value(), std::move(sync->ready),
                                        std::move(sync->released)});
  }
  const auto sd_bytes = bytes_of(ipc::Message(std::move(sd)));

  ipc::Hello hello;
  hello.client_pid = 1234;
  hello.identity = channel::test::fake_identity();
  const auto hello_bytes = bytes_of(hello);
  const auto frame1 = bytes_of(ipc::FramePresented{1, 0, 1, 1, 100, kSharedImageLayout});
  const auto frame2 = bytes_of(ipc::FramePresented{1, 1, 2, 2, 200, kSharedImageLayout});
  const auto released1 = bytes_of(ipc::FrameReleased{1, 0, 1});
  const auto describe = bytes_of(ipc::DescribeRequest{});
  ipc::Description description;
  description.width = 1920;
  description.height = 1080;
  description.fps_milli = 59940;
  description.frame_count = 7;
  description.receiver_count = 2;
  description.sender_pid = 42;
  const auto description_bytes = bytes_of(description);
  const auto goodbye = bytes_of(ipc::Goodbye{});
  const auto error = bytes_of(ipc::ErrorMessage{ErrorCode::Protocol, "bad frame \xc3\xa9"});

  // wire_decode: a handle byte, then one message.
  const struct {
    const char* name;
    const std::vector<std::uint8_t>* bytes;
    std::uint8_t handles;
  } messages[] = {{"hello", &hello_bytes, 0},
                  {"stream-description", &sd_bytes, 9},
                  {"stream-description-memfd", &sd_bytes, 0x80 | 9},
                  {"frame-presented", &frame1, 0},
                  {"frame-released", &released1, 0},
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

  // receiver_stream: records, flag 1 ends a batch, 2 releases after the acquire.
  auto stream = [](std::initializer_list<std::pair<std::uint8_t, std::vector<std::uint8_t>>> rs) {
    std::vector<std::uint8_t> out;
    for (const auto& [flags, bytes] : rs) fuzz::append_record(out, flags, bytes);
    return out;
  };
  write("receiver_stream", "description", stream({{1, sd_bytes}}));
  write("receiver_stream", "frames",
        stream({{1, sd_bytes}, {1, frame1}, {3, frame2}, {0, goodbye}}));
  write("receiver_stream", "frames-batched", stream({{0, sd_bytes}, {0, frame1}, {1, frame2}}));
  write("receiver_stream", "description-twice",
        stream({{1, sd_bytes}, {1, frame1}, {1, sd_bytes}, {3, frame2}}));
  write("receiver_stream", "error", stream({{1, sd_bytes}, {1, error}}));
  write("receiver_stream", "error-first", stream({{1, error}}));
  write("receiver_stream", "goodbye-first", stream({{1, goodbye}}));
  write("receiver_stream", "frame-first", stream({{1, frame1}, {1, sd_bytes}}));
  write("receiver_stream", "truncated-description", stream({{1, cut(sd_bytes, 60)}}));
  write("receiver_stream", "truncated-frame", stream({{1, sd_bytes}, {1, cut(frame1, 30)}}));
  write("receiver_stream", "description-reply", stream({{1, sd_bytes}, {1, description_bytes}}));

  // sender_stream: records, flag 1 writes a frame after, 2 resizes, 4 reconnects.
  write("sender_stream", "hello", stream({{0, hello_bytes}}));
  write("sender_stream", "hello-frames",
        stream({{1, hello_bytes}, {1, released1}, {1, released1}, {0, goodbye}}));
  write("sender_stream", "hello-resize",
        stream({{3, hello_bytes}, {1, bytes_of(ipc::FrameReleased{2, 0, 1})}, {0, goodbye}}));
  write("sender_stream", "describe", stream({{0, describe}}));
  write("sender_stream", "describe-then-hello", stream({{0, describe}, {4, hello_bytes}}));
  write("sender_stream", "hello-twice", stream({{0, hello_bytes}, {0, hello_bytes}}));
  write("sender_stream", "error", stream({{0, hello_bytes}, {1, error}}));
  write("sender_stream", "goodbye-first", stream({{0, goodbye}}));
  write("sender_stream", "release-unheld", stream({{0, hello_bytes}, {0, released1}}));
  write("sender_stream", "truncated-hello", stream({{0, cut(hello_bytes, 20)}}));
  write("sender_stream", "description-from-receiver",
        stream({{0, hello_bytes}, {0, description_bytes}}));
  write("sender_stream", "frame-from-receiver", stream({{0, hello_bytes}, {1, frame1}}));
  write("sender_stream", "stream-description-from-receiver",
        stream({{0, hello_bytes}, {0, sd_bytes}}));
  std::printf("make_corpus: wrote %s\n", g_root.c_str());
  return 0;
}
