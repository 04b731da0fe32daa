// Fuzz target: a SenderCore (with the channel-core tests' fake sender backend) over an
// ipc::LoopbackTransport, and a raw client that connects and sends the fuzzer's records
// (common.hpp) as messages, each with the handle count its header declares attached
// (/dev/null duplicates, up to kMaxHandlesPerMessage). After each record the sender polls
// and the client reads (and drops) what the sender sent it; flag bit 0 writes a frame
// first, bit 1 resizes the stream (a new generation), bit 2 connects a new client in place
// of the old one. The sender must never crash, hang or leak, and must go on writing.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common.hpp"
#include "fake_backend.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/ipc/loopback_transport.hpp"
#include "geyser/ipc/message_io.hpp"

using namespace geyser;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannel = "fuzz";

TextureDescriptor desc_of(std::uint32_t width) {
  TextureDescriptor desc;
  desc.width = width;
  desc.height = 4;
  return desc;
}

// Reads whatever the sender sent the client, so that its queue never fills.
void drain(ipc::Connection& client) {
  for (int i = 0; i < 64; ++i) {
    auto packet = client.receive(ipc::kMaxMessageSize, ipc::kMaxHandlesPerMessage, 0ms);
    if (!packet) return;
  }
}

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
    auto client = transport->connect(kChannel, 0ms);
    if (!client) std::abort();

    std::uint32_t width = 8;
    for (const fuzz::Record& record : fuzz::split_records(data, size)) {
      if ((record.flags & 4) != 0) {
        auto another = transport->connect(kChannel, 0ms);
        if (another) client = std::move(another);
      }
      std::size_t count = fuzz::declared_handles(record.bytes);
      if (count > ipc::kMaxHandlesPerMessage) count = ipc::kMaxHandlesPerMessage;
      if (!record.bytes.empty()) {
        (void)(*client)->send(record.bytes, std::span(handles.data(), count), 0ms);
      }
      (void)sender->poll(0ms);
      if ((record.flags & 1) != 0) {
        const std::vector<std::uint8_t> pixels(tight_size_bytes(sender->descriptor()), 0x5a);
        (void)sender->write(pixels, 0ms);
      }
      if ((record.flags & 2) != 0) {
        width = width == 8 ? 16 : 8;
        (void)sender->resize(desc_of(width));
      }
      drain(**client);
    }
    (void)sender->poll(0ms);
    // Whatever the client said, the sender still writes (its ring outgrows one stalled reader).
    const std::vector<std::uint8_t> pixels(tight_size_bytes(sender->descriptor()), 0xa5);
    if (!sender->write(pixels, 0ms)) {
      // Only a receiver holding every slot can stall it; drop the client and try again.
      client->reset();
      (void)sender->poll(0ms);
      auto written = sender->write(pixels, 0ms);
      if (!written) {
        std::fprintf(stderr, "sender cannot write: %s\n", written.error().to_string().c_str());
        std::abort();
      }
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
