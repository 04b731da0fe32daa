// Fuzz target: a SenderCore (with the channel-core tests' fake sender backend) over an
// ipc::LoopbackTransport, and a raw client that connects and plays the fuzzer's records
// (common.hpp). A message record is sent with the handle count its header declares attached
// (/dev/null duplicates, up to kMaxHandlesPerMessage). Flag bit 3 (0x08) makes the record
// words for the client's receiver page instead: slot u32, claimed u64, released u64 (short
// records read as zero-filled), written to the page of the newest StreamDescription the client
// read (nothing before one), so that the sender is attacked through its pages too. After each
// record the sender polls and the client reads what the sender sent it (keeping the page of
// a StreamDescription); flag bit 0 (0x01) writes a frame first, bit 1 (0x02) resizes the
// stream (a new generation), bit 2 (0x04) connects a new client in place of the old one.
// The sender must never crash, hang or leak, and must go on writing.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "common.hpp"
#include "fake_backend.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/message_io.hpp"

using namespace geyser;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannel = "fuzz";

constexpr std::uint8_t kWrites = 0x01;
constexpr std::uint8_t kResizes = 0x02;
constexpr std::uint8_t kReconnects = 0x04;
constexpr std::uint8_t kPageWords = 0x08;

TextureDescriptor desc_of(std::uint32_t width) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = 4;
  return desc;
}

// The raw client: its connection and the page the sender gave it.
struct RawClient {
  std::unique_ptr<ipc::Connection> connection;
  std::optional<ipc::ReceiverPage> page;

  // Reads whatever the sender sent, so that its queue never fills; a StreamDescription's
  // page becomes ours (its other fds are closed with it).
  void drain() {
    for (int i = 0; i < 64; ++i) {
      auto message = ipc::receive(*connection, 0ms);
      if (!message) return;
      if (auto* description = std::get_if<ipc::StreamDescription>(&*message)) {
        auto opened = ipc::ReceiverPage::open(std::move(description->page));
        if (!opened) {
          std::fprintf(stderr, "the sender's page does not open: %s\n",
                       opened.error().to_string().c_str());
          std::abort();
        }
        page.emplace(std::move(opened).value());
      }
    }
  }

  // Writes a page record's words (layout at the top of this file).
  void write_page(std::span<const std::uint8_t> bytes) {
    if (!page) return;
    fuzz::FieldReader in(bytes);
    const std::uint32_t slot = in.u32();
    const std::uint64_t claimed = in.u64();
    const std::uint64_t released = in.u64();
    page->claim(slot, claimed);
    page->release(slot, released);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (dev_null < 0) std::abort();
  const std::vector<NativeHandle> handles(ipc::kMaxHandlesPerMessage, dev_null);

  auto control = std::make_shared<channel::test::FakeSenderControl>();
  {
    auto transport = std::make_shared<ipc::LoopbackTransport>();
    channel::SenderOptions options;
    options.transport = transport;
    options.send_timeout = 0ms;
    options.gpu_timeout = 1ms;
    auto sender = channel::SenderCore::publish(
        std::make_unique<channel::test::FakeSenderBackend>(control), kChannel, desc_of(8), options);
    if (!sender) std::abort();
    auto connected = transport->connect(kChannel, 0ms);
    if (!connected) std::abort();
    RawClient client{std::move(connected).value(), std::nullopt};

    std::uint32_t width = 8;
    for (const fuzz::Record& record : fuzz::split_records(data, size)) {
      if ((record.flags & kReconnects) != 0) {
        auto another = transport->connect(kChannel, 0ms);
        if (another) client = RawClient{std::move(another).value(), std::nullopt};
      }
      if ((record.flags & kPageWords) != 0) {
        client.write_page(record.bytes);
      } else if (!record.bytes.empty()) {
        const std::size_t count =
            std::min(fuzz::declared_handles(record.bytes), ipc::kMaxHandlesPerMessage);
        (void)client.connection->send(record.bytes, std::span(handles.data(), count), 0ms);
      }
      (void)sender->poll(0ms);
      if ((record.flags & kWrites) != 0) {
        const std::vector<std::uint8_t> pixels(tight_size_bytes(sender->descriptor()), 0x5a);
        (void)sender->write(pixels, 0ms);
      }
      if ((record.flags & kResizes) != 0) {
        width = width == 8 ? 16 : 8;
        (void)sender->resize(desc_of(width));
      }
      client.drain();
    }
    (void)sender->poll(0ms);
    // Whatever the client said or claimed, the sender still writes: a client holds at most
    // two slots of a ring of three or more, and one that claims more is dropped.
    const std::vector<std::uint8_t> pixels(tight_size_bytes(sender->descriptor()), 0xa5);
    if (auto written = sender->write(pixels, 0ms); !written) {
      std::fprintf(stderr, "sender cannot write: %s\n", written.error().to_string().c_str());
      std::abort();
    }
  }
  if (control->live_links != 0) {
    std::fprintf(stderr, "sender left %d links alive\n", control->live_links);
    std::abort();
  }
  if (control->violations != 0) {
    std::fprintf(stderr, "backend contract violated: %s\n", control->last_violation.c_str());
    std::abort();
  }
  return 0;
}
