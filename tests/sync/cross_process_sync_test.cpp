// Synchronization between two processes (label sync): this process is the producer, it
// spawns geyser_sync_peer as the consumer, sends it a ring of two textures and their
// TextureSync handles over a socketpair (SCM_RIGHTS), and writes frames 1..200 of the test
// pattern while the peer reads and checks every pixel of every frame. And when the peer dies
// or leaves without releasing, the producer's waits end in Timeout at the requested time and
// the producer keeps working.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "geyser/sync.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "support/peer_process.hpp"
#include "support/process_stats.hpp"
#include "support/vulkan_fixture.hpp"
#include "sync/sync_protocol.hpp"
#include "sync/sync_support.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;
using vulkan::TextureSync;
using vulkan::VulkanSharedTexture;

constexpr int kReplyTimeoutMs = 60'000;
constexpr auto kExitTimeout = std::chrono::seconds(60);

// A running geyser_sync_peer and our end of its socket.
class SyncPeerProcess : public PeerProcess {
 public:
  explicit SyncPeerProcess(PeerProcess process) : PeerProcess(std::move(process)) {}

  [[nodiscard]] Result<void> send(const SyncPeerMessage& message, std::span<const int> fds = {}) {
    return send_sync_message(socket(), message, fds);
  }
  [[nodiscard]] Result<ReceivedSyncMessage> receive(int timeout_ms = kReplyTimeoutMs) {
    return receive_sync_message(socket(), timeout_ms);
  }
  // Sends `message` and waits for its Reply.
  [[nodiscard]] Result<ReceivedSyncMessage> request(const SyncPeerMessage& message,
                                                    std::span<const int> fds = {}) {
    GEYSER_TRY_VOID(send(message, fds));
    GEYSER_TRY(auto reply, receive());
    if (reply.message.command != static_cast<std::uint16_t>(SyncPeerCommand::Reply)) {
      return fail(ErrorCode::Protocol,
                  "the peer answered with command " + std::to_string(reply.message.command));
    }
    return reply;
  }
};

// Passes when the peer replied Ok.
testing::AssertionResult PeerOk(const Result<ReceivedSyncMessage>& reply) {
  if (!reply) return testing::AssertionFailure() << "no reply: " << reply.error().to_string();
  if (reply->message.status != static_cast<std::uint32_t>(SyncPeerStatus::Ok)) {
    return testing::AssertionFailure()
           << "peer replied status " << reply->message.status << ": " << text_of(reply->message);
  }
  return testing::AssertionSuccess();
}

// What the peer said about one Read.
struct ReadReport {
  std::vector<SyncPeerMessage> failures;  // FrameFailed messages
  std::optional<SyncPeerMessage> summary;
  std::optional<Error> error;  // the conversation itself broke
};

// The producer's ring: textures and producer TextureSyncs here, shared with the peer.
// The syncs go first on destruction (they point at the textures).
struct ProducerRing {
  std::vector<std::unique_ptr<VulkanSharedTexture>> textures;
  std::vector<TextureSync> syncs;
  [[nodiscard]] const TextureDescriptor& descriptor() const {
    return textures.front()->descriptor();
  }
};

class CrossProcessSyncTest : public OneDeviceTest {
 protected:
  void SetUp() override {
    OneDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto spawned = PeerProcess::spawn(GEYSER_SYNC_PEER);
    ASSERT_TRUE(spawned) << spawned.error().to_string();
    peer_ = std::make_unique<SyncPeerProcess>(std::move(spawned).value());
    auto hello = peer_->receive();
    ASSERT_TRUE(hello) << "no Hello from geyser_sync_peer: " << hello.error().to_string();
    ASSERT_EQ(hello->message.command, static_cast<std::uint16_t>(SyncPeerCommand::Hello));
    if (hello->message.status != static_cast<std::uint32_t>(SyncPeerStatus::Ok)) {
      if (hello->message.error_code == static_cast<std::uint32_t>(ErrorCode::Unsupported)) {
        GTEST_SKIP() << "geyser_sync_peer has no usable device: " << text_of(hello->message);
      }
      FAIL() << "geyser_sync_peer could not start: " << text_of(hello->message);
    }
    DeviceIdentity peer_identity;
    std::memcpy(peer_identity.driver_uuid.data(), hello->message.driver_uuid, 16);
    std::memcpy(peer_identity.device_uuid.data(), hello->message.device_uuid, 16);
    if (!peer_identity.compatible_with(manager().identity())) {
      GTEST_SKIP() << "geyser_sync_peer chose another device (" << text_of(hello->message)
                   << ") than the test (" << device().name() << ")";
    }
    peer_caps_.timeline_export = hello->message.timeline_export != 0;
    peer_caps_.timeline_import = hello->message.timeline_import != 0;
    peer_name_ = text_of(hello->message);
  }

  void TearDown() override {
    if (!peer_) return;
    if (IsSkipped()) {
      peer_->close_socket();
      (void)peer_->wait_for_exit(kExitTimeout);
      peer_.reset();
      return;
    }
    if (peer_->socket()) {
      auto bye = peer_->request(make_sync_message(SyncPeerCommand::Quit));
      EXPECT_TRUE(PeerOk(bye)) << "the peer's teardown";
    }
    auto status = peer_->wait_for_exit(kExitTimeout);
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "geyser_sync_peer ended with " << describe_wait_status(*status)
        << " (non-zero: validation errors or a broken socket; see its stderr above)";
    peer_.reset();
  }

  // Skips (from the test body, via the caller's check of IsSkipped) when `mode` cannot run
  // between this process and the peer.
  [[nodiscard]] std::optional<std::string> why_not(SyncMode mode) const {
    if (mode != SyncMode::Gpu) return std::nullopt;
    const SyncCapabilities mine = manager().sync_capabilities();
    if (mine.timeline_export && mine.timeline_import && peer_caps_.timeline_import) {
      return std::nullopt;
    }
    return "gpu sync mode needs exportable and importable timeline semaphores: this process (" +
           device().name() + ") export " + (mine.timeline_export ? "yes" : "no") + " import " +
           (mine.timeline_import ? "yes" : "no") + "; the peer (" + peer_name_ + ") import " +
           (peer_caps_.timeline_import ? "yes" : "no");
  }

  // Creates `slots` textures and producers in `mode` and has the peer import and join each.
  testing::AssertionResult ShareRing(ProducerRing& ring, const TextureDescriptor& desc,
                                     SyncMode mode, std::uint32_t slots) {
    for (std::uint32_t i = 0; i < slots; ++i) {
      auto texture = manager().create(desc);
      if (!texture) return testing::AssertionFailure() << "create: " << texture.error().to_string();
      ring.textures.push_back(std::move(texture).value());
      auto sync = TextureSync::create_producer(manager(), *ring.textures.back(), mode);
      if (!sync) {
        return testing::AssertionFailure() << "create_producer: " << sync.error().to_string();
      }
      ring.syncs.push_back(std::move(sync).value());
      auto texture_handle = manager().export_texture(*ring.textures.back());
      if (!texture_handle) {
        return testing::AssertionFailure() << "export: " << texture_handle.error().to_string();
      }
      auto sync_handles = ring.syncs.back().export_handles();
      if (!sync_handles) {
        return testing::AssertionFailure()
               << "export_handles: " << sync_handles.error().to_string();
      }
      auto [message, fds] = make_slot_message(i, *texture_handle, *sync_handles);
      if (auto ok = PeerOk(peer_->request(message, fds)); !ok) {
        return testing::AssertionFailure() << "slot " << i << ": " << ok.message();
      }
      // Our copies of the handles close here; the peer has its own fds.
    }
    return testing::AssertionSuccess();
  }

  // Asks the peer to read frames first..last, each with `timeout`.
  [[nodiscard]] Result<void> start_read(std::uint64_t first, std::uint64_t last,
                                        std::chrono::milliseconds timeout, std::uint32_t slots,
                                        bool hang_after = false) {
    SyncPeerMessage read = make_sync_message(SyncPeerCommand::Read);
    read.first_frame = first;
    read.last_frame = last;
    read.slot_count = slots;
    read.timeout_ms = static_cast<std::uint64_t>(timeout.count());
    read.hang_after = hang_after ? 1 : 0;
    return peer_->send(read);
  }

  // Collects the peer's messages about a Read up to its Summary.
  ReadReport collect_read() {
    ReadReport report;
    for (;;) {
      auto received = peer_->receive();
      if (!received) {
        report.error = received.error();
        return report;
      }
      const auto command = static_cast<SyncPeerCommand>(received->message.command);
      if (command == SyncPeerCommand::FrameFailed) {
        report.failures.push_back(received->message);
      } else if (command == SyncPeerCommand::Summary) {
        report.summary = received->message;
        return report;
      } else {
        report.error = Error(ErrorCode::Protocol,
                             "unexpected command " + std::to_string(received->message.command) +
                                 " during a Read: " + text_of(received->message));
        return report;
      }
    }
  }

  // Streams frames 1..frames through `ring`: a producer thread here writes frame f into slot
  // f % slots once the peer released frame f - slots there, while the peer reads every frame
  // and checks every pixel.
  testing::AssertionResult Stream(ProducerRing& ring, std::uint64_t frames) {
    const auto slots = static_cast<std::uint32_t>(ring.syncs.size());
    if (auto started = start_read(1, frames, kWaitTimeout, slots); !started) {
      return testing::AssertionFailure() << "Read: " << started.error().to_string();
    }
    std::optional<Error> producer_error;
    std::uint64_t written = 0;
    const auto start = std::chrono::steady_clock::now();
    std::thread producer([&] {
      const TextureDescriptor desc = ring.descriptor();
      const std::uint32_t texel = format_info(desc.format).texel_size;
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(desc.width) * desc.height * texel);
      for (std::uint64_t frame = 1; frame <= frames; ++frame) {
        fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
        const std::uint64_t reuse_after = frame > slots ? frame - slots : 0;
        auto result = ring.syncs[frame % slots].write(bytes, frame, reuse_after, kWaitTimeout);
        if (!result) {
          producer_error = result.error();
          return;
        }
        written = frame;
      }
    });
    const ReadReport report = collect_read();
    producer.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    auto failure = testing::AssertionFailure();
    bool ok = true;
    if (producer_error) {
      ok = false;
      failure << "the producer stopped after frame " << written << ": "
              << producer_error->to_string() << "\n";
    }
    if (report.error) {
      ok = false;
      failure << "talking to the peer: " << report.error->to_string() << "\n";
    }
    for (const SyncPeerMessage& f : report.failures) {
      ok = false;
      failure << "  peer, frame " << f.frame << ": " << text_of(f) << "\n";
    }
    if (report.summary) {
      if (report.summary->frames_ok != frames || report.summary->frames_failed != 0) {
        ok = false;
        failure << "the peer got " << report.summary->frames_ok << " of " << frames
                << " frames right, " << report.summary->frames_failed << " wrong "
                << text_of(*report.summary) << "\n";
      }
    } else {
      ok = false;
      failure << "no Summary from the peer\n";
    }
    if (!ok) return failure;
    std::printf("%s mode across processes, %ux%u: %llu frames in %.2f s\n",
                std::string(to_string(ring.syncs.front().mode())).c_str(), ring.descriptor().width,
                ring.descriptor().height, static_cast<unsigned long long>(frames), seconds);
    return testing::AssertionSuccess();
  }

  std::unique_ptr<SyncPeerProcess> peer_;
  SyncCapabilities peer_caps_;
  std::string peer_name_;
};

class CrossProcessSyncModeTest : public CrossProcessSyncTest,
                                 public testing::WithParamInterface<SyncMode> {
 protected:
  void SetUp() override {
    CrossProcessSyncTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (auto reason = why_not(GetParam())) GTEST_SKIP() << *reason;
  }
};

TEST_P(CrossProcessSyncModeTest, PeerGetsEveryFrameWholeAndInOrder) {
  ProducerRing ring;
  ASSERT_TRUE(ShareRing(ring, rgba8(256, 256), GetParam(), kRingSlots));
  EXPECT_TRUE(Stream(ring, kStreamFrames));
  // The peer released the last frame of each slot, here in this process.
  for (std::uint32_t i = 0; i < kRingSlots; ++i) {
    auto released = ring.syncs[i].peer_value();
    ASSERT_TRUE(Succeeds(released));
    EXPECT_EQ(*released, kStreamFrames - (kStreamFrames % kRingSlots == i ? 0 : 1)) << "slot " << i;
  }
}

TEST_P(CrossProcessSyncModeTest, PeerWaitingForAFrameNeverWrittenTimesOutAtTheRequestedTime) {
  ProducerRing ring;
  ASSERT_TRUE(ShareRing(ring, rgba8(64, 64), GetParam(), kRingSlots));
  ASSERT_TRUE(Succeeds(start_read(1, 1, 500ms, kRingSlots)));
  ReadReport report = collect_read();
  ASSERT_FALSE(report.error) << report.error->to_string();
  ASSERT_EQ(report.failures.size(), 1u);
  const SyncPeerMessage& failed = report.failures.front();
  EXPECT_EQ(failed.frame, 1u);
  EXPECT_EQ(failed.error_code, static_cast<std::uint32_t>(ErrorCode::Timeout)) << text_of(failed);
  EXPECT_GE(failed.elapsed_ms, 500u) << text_of(failed);
  EXPECT_LT(failed.elapsed_ms, static_cast<std::uint64_t>((500ms + kTimeoutSlack).count()))
      << text_of(failed);
  // The peer still takes the frame when it comes.
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(ring.descriptor(), 1), 1, 0, kWaitTimeout)));
  ASSERT_TRUE(Succeeds(start_read(1, 1, kWaitTimeout, kRingSlots)));
  report = collect_read();
  ASSERT_FALSE(report.error) << report.error->to_string();
  EXPECT_TRUE(report.failures.empty()) << text_of(report.failures.front());
  ASSERT_TRUE(report.summary);
  EXPECT_EQ(report.summary->frames_ok, 1u);
}

TEST_P(CrossProcessSyncModeTest, PeerKilledWhileTheProducerWaitsDoesNotHangIt) {
  ProducerRing ring;
  ASSERT_TRUE(ShareRing(ring, rgba8(64, 64), GetParam(), kRingSlots));
  const TextureDescriptor desc = ring.descriptor();
  // Frames 1 (slot 1) and 2 (slot 0) are written; the peer reads frame 1 only, then holds
  // on to frame 2 and stops answering.
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(desc, 1), 1, 0, kWaitTimeout)));
  ASSERT_TRUE(Succeeds(ring.syncs[0].write(frame_bytes(desc, 2), 2, 0, kWaitTimeout)));
  ASSERT_TRUE(Succeeds(start_read(1, 1, kWaitTimeout, kRingSlots, /*hang_after=*/true)));
  const ReadReport report = collect_read();
  ASSERT_FALSE(report.error) << report.error->to_string();
  ASSERT_TRUE(report.summary);
  ASSERT_EQ(report.summary->frames_ok, 1u) << text_of(*report.summary);
  // Frame 3 reuses slot 1, which the peer released.
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(desc, 3), 3, 1, kWaitTimeout)));

  // Frame 4 needs slot 0, which the peer never releases: it is killed while we wait.
  const pid_t pid = peer_->pid();
  std::thread killer([pid] {
    std::this_thread::sleep_for(100ms);
    kill(pid, SIGKILL);
  });
  auto [waited, elapsed] = timed([&] { return ring.syncs[0].wait_for_texture(2, 500ms); });
  killer.join();
  EXPECT_TRUE(TimedOutOnTime(waited, elapsed, 500ms));
  auto status = peer_->wait_for_exit(kExitTimeout);
  ASSERT_TRUE(Succeeds(status));
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
      << "the peer ended with " << describe_wait_status(*status);
  peer_.reset();

  // After its death too: the helper times out the same way.
  auto [written, write_elapsed] =
      timed([&] { return ring.syncs[0].write(frame_bytes(desc, 4), 4, 2, 500ms); });
  EXPECT_TRUE(TimedOutOnTime(written, write_elapsed, 500ms));

  // The producer keeps working: nobody is left to wait for, so it reuses both slots.
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(desc, 5), 5, 0, kWaitTimeout)));
  EXPECT_TRUE(HasPattern(*ring.textures[1], 5));
  ASSERT_TRUE(Succeeds(ring.syncs[0].write(frame_bytes(desc, 6), 6, 0, kWaitTimeout)));
  EXPECT_TRUE(HasPattern(*ring.textures[0], 6));
}

TEST_P(CrossProcessSyncModeTest, PeerLeavingWithoutReleasingDoesNotHangTheProducer) {
  ProducerRing ring;
  ASSERT_TRUE(ShareRing(ring, rgba8(64, 64), GetParam(), kRingSlots));
  const TextureDescriptor desc = ring.descriptor();
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(desc, 1), 1, 0, kWaitTimeout)));
  // The peer leaves (tears down cleanly, exits) without reading: nothing is ever released.
  // We wait while it goes.
  ASSERT_TRUE(Succeeds(peer_->send(make_sync_message(SyncPeerCommand::Quit))));
  auto [waited, elapsed] = timed([&] { return ring.syncs[1].wait_for_texture(1, 1000ms); });
  EXPECT_TRUE(TimedOutOnTime(waited, elapsed, 1000ms));
  auto bye = peer_->receive();
  EXPECT_TRUE(PeerOk(bye)) << "the peer's teardown";
  auto status = peer_->wait_for_exit(kExitTimeout);
  ASSERT_TRUE(Succeeds(status));
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "geyser_sync_peer ended with " << describe_wait_status(*status);
  peer_.reset();

  auto [written, write_elapsed] =
      timed([&] { return ring.syncs[1].write(frame_bytes(desc, 3), 3, 1, 500ms); });
  EXPECT_TRUE(TimedOutOnTime(written, write_elapsed, 500ms));
  EXPECT_TRUE(HasPattern(*ring.textures[1], 1)) << "a timed-out write must not touch the slot";
  ASSERT_TRUE(Succeeds(ring.syncs[1].write(frame_bytes(desc, 3), 3, 0, kWaitTimeout)));
  EXPECT_TRUE(HasPattern(*ring.textures[1], 3));
  ASSERT_TRUE(Succeeds(ring.syncs[0].write(frame_bytes(desc, 4), 4, 0, kWaitTimeout)));
  EXPECT_TRUE(HasPattern(*ring.textures[0], 4));
}

INSTANTIATE_TEST_SUITE_P(Modes, CrossProcessSyncModeTest,
                         testing::Values(SyncMode::Cpu, SyncMode::Gpu), ModeName());

// The mode this process and the peer negotiate from their capabilities (GEYSER_SYNC may
// force it), streamed the same way.
TEST_F(CrossProcessSyncTest, NegotiatedModeStreamsEveryFrame) {
  auto mode = choose_sync_mode(manager().sync_capabilities(), peer_caps_);
  if (!mode && mode.error().code() == ErrorCode::Unsupported) {
    GTEST_SKIP() << mode.error().to_string();
  }
  ASSERT_TRUE(Succeeds(mode));
  if (!why_not(SyncMode::Gpu)) {
    const char* env = std::getenv("GEYSER_SYNC");
    if (env == nullptr || std::string(env).empty() || std::string(env) == "auto") {
      EXPECT_EQ(*mode, SyncMode::Gpu) << "both sides can share timelines";
    }
  } else {
    EXPECT_EQ(*mode, SyncMode::Cpu);
  }
  RecordProperty("mode", std::string(to_string(*mode)));
  ProducerRing ring;
  ASSERT_TRUE(ShareRing(ring, rgba8(64, 48), *mode, kRingSlots));
  EXPECT_TRUE(Stream(ring, kStreamFrames));
}

}  // namespace
}  // namespace geyser::test
