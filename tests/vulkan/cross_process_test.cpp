// The cross-device round trip between two processes: the test spawns geyser_test_peer,
// hands it a socket, and sends handles (plain fields) and fds (SCM_RIGHTS) both ways.
#include <fcntl.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "geyser/format.hpp"
#include "geyser/texture.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "support/peer_process.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/peer_protocol.hpp"
#include "vulkan/test_descriptors.hpp"

namespace geyser::test {
namespace {

constexpr int kReplyTimeoutMs = 60'000;
constexpr auto kExitTimeout = std::chrono::seconds(60);

// A running geyser_test_peer and our end of its socket.
class TestPeerProcess : public PeerProcess {
 public:
  explicit TestPeerProcess(PeerProcess process) : PeerProcess(std::move(process)) {}

  // Sends `message` (with `fd` attached unless -1) and waits for the reply.
  Result<ReceivedMessage> request(const PeerMessage& message, int fd = -1) {
    GEYSER_TRY_VOID(send_message(socket(), message, fd));
    GEYSER_TRY(auto reply, receive_message(socket(), kReplyTimeoutMs));
    if (reply.message.command != static_cast<std::uint16_t>(PeerCommand::Reply)) {
      return fail(ErrorCode::Protocol,
                  "peer answered with command " + std::to_string(reply.message.command));
    }
    return reply;
  }
};

// Passes when the peer replied Ok.
testing::AssertionResult PeerOk(const Result<ReceivedMessage>& reply) {
  if (!reply) return testing::AssertionFailure() << "no reply: " << reply.error().to_string();
  if (reply->message.status != static_cast<std::uint32_t>(PeerStatus::Ok)) {
    return testing::AssertionFailure()
           << "peer replied status " << reply->message.status << ": " << text_of(reply->message);
  }
  return testing::AssertionSuccess();
}

class CrossProcessTest : public OneDeviceTest {
 protected:
  void SetUp() override {
    OneDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto spawned = PeerProcess::spawn(GEYSER_TEST_PEER);
    ASSERT_TRUE(spawned) << spawned.error().to_string();
    peer_ = std::make_unique<TestPeerProcess>(std::move(spawned).value());
    auto hello = receive_message(peer_->socket(), kReplyTimeoutMs);
    ASSERT_TRUE(hello) << "no Hello from geyser_test_peer: " << hello.error().to_string();
    ASSERT_EQ(hello->message.command, static_cast<std::uint16_t>(PeerCommand::Hello));
    if (hello->message.status != static_cast<std::uint32_t>(PeerStatus::Ok)) {
      if (hello->message.error_code == static_cast<std::uint32_t>(ErrorCode::Unsupported)) {
        GTEST_SKIP() << "geyser_test_peer has no usable device: " << text_of(hello->message);
      }
      FAIL() << "geyser_test_peer could not start: " << text_of(hello->message);
    }
    DeviceIdentity peer_identity;
    std::memcpy(peer_identity.driver_uuid.data(), hello->message.driver_uuid, 16);
    std::memcpy(peer_identity.device_uuid.data(), hello->message.device_uuid, 16);
    if (!peer_identity.compatible_with(manager().identity())) {
      GTEST_SKIP() << "geyser_test_peer chose another device (" << text_of(hello->message)
                   << ") than the test (" << device().name() << ")";
    }
  }

  void TearDown() override {
    if (!peer_) return;
    if (IsSkipped()) {
      // The peer has no device or another one: EOF ends it, its exit status is moot.
      peer_->close_socket();
      (void)peer_->wait_for_exit(kExitTimeout);
      peer_.reset();
      return;
    }
    if (peer_->socket()) {
      auto bye = peer_->request(make_message(PeerCommand::Quit));
      EXPECT_TRUE(PeerOk(bye)) << "the peer's teardown";
    }
    auto status = peer_->wait_for_exit(kExitTimeout);
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "geyser_test_peer ended with " << describe_wait_status(*status)
        << " (non-zero: validation errors or a broken socket; see its stderr above)";
    peer_.reset();
  }

  // The test creates `desc`, writes frame `frame`; the peer imports it, checks it and writes
  // `frame + 1`; the test checks that.
  testing::AssertionResult ParentToPeer(const TextureDescriptor& desc, std::uint64_t frame) {
    auto texture = manager().create(desc);
    if (!texture) return testing::AssertionFailure() << "create: " << texture.error().to_string();
    if (auto written = write_pattern(**texture, frame); !written) {
      return testing::AssertionFailure() << "upload: " << written.error().to_string();
    }
    auto handle = manager().export_texture(**texture);
    if (!handle) return testing::AssertionFailure() << "export: " << handle.error().to_string();
    PeerMessage message = make_message(PeerCommand::ImportCheckWrite);
    put_handle(message, *handle);
    message.frame_check = frame;
    message.frame_write = frame + 1;
    auto reply = peer_->request(message, handle->os_handle.get());
    manager().release_texture_handle(std::move(*handle));
    if (auto ok = PeerOk(reply); !ok) return ok;
    return HasPattern(**texture, frame + 1);
  }

  // The peer creates `desc`, writes `frame` and exports it; the test imports it, checks it,
  // writes `frame + 1`; the peer checks that in its original.
  testing::AssertionResult PeerToParent(const TextureDescriptor& desc, std::uint64_t frame) {
    PeerMessage message = make_message(PeerCommand::CreateExport);
    put_descriptor(message, desc);
    message.frame_write = frame;
    auto reply = peer_->request(message);
    if (auto ok = PeerOk(reply); !ok) return ok;
    if (reply->message.has_handle == 0 || !reply->fd) {
      return testing::AssertionFailure() << "the peer's export came without a handle";
    }
    TextureShareHandle handle = take_handle(reply->message, std::move(reply->fd));
    if (handle.descriptor != desc) {
      return testing::AssertionFailure() << "the peer exported " << describe(handle.descriptor);
    }
    auto imported = manager().import(handle);
    manager().release_texture_handle(std::move(handle));
    if (!imported) {
      return testing::AssertionFailure() << "import: " << imported.error().to_string();
    }
    if (auto seen = HasPattern(**imported, frame); !seen) return seen;
    if (auto written = write_pattern(**imported, frame + 1); !written) {
      return testing::AssertionFailure() << "upload: " << written.error().to_string();
    }
    PeerMessage check = make_message(PeerCommand::CheckExported);
    check.frame_check = frame + 1;
    return PeerOk(peer_->request(check));
  }

  std::unique_ptr<TestPeerProcess> peer_;
};

TEST_F(CrossProcessTest, ParentExportsPeerImportsAndWritesBack) {
  EXPECT_TRUE(ParentToPeer(rgba8(257, 131), 1));
}

TEST_F(CrossProcessTest, PeerExportsParentImportsAndWritesBack) {
  EXPECT_TRUE(PeerToParent(rgba8(257, 131), 3));
}

TEST_F(CrossProcessTest, FullHdBothDirections) {
  EXPECT_TRUE(ParentToPeer(rgba8(1920, 1080), 10));
  EXPECT_TRUE(PeerToParent(rgba8(1920, 1080), 20));
}

TEST_F(CrossProcessTest, EveryShareableColourFormatBothDirections) {
  const TextureUsage transfer = TextureUsage::TransferSrc | TextureUsage::TransferDst;
  std::vector<std::string> tested;
  std::uint64_t frame = 100;
  for (const TextureFormat format : colour_formats()) {
    const vulkan::FormatCapability capability = manager().query_format(format);
    if (!capability.exportable || !capability.importable || !has_all(capability.usages, transfer)) {
      continue;
    }
    SCOPED_TRACE(std::string(to_string(format)));
    TextureDescriptor desc;
    desc.width = 67;
    desc.height = 33;
    desc.format = format;
    desc.usage = transfer;
    EXPECT_TRUE(ParentToPeer(desc, frame));
    EXPECT_TRUE(PeerToParent(desc, frame + 7));
    frame += 13;
    tested.emplace_back(to_string(format));
  }
  if (tested.empty()) GTEST_SKIP() << device().name() << " can share no colour format";
  std::string list;
  for (const auto& name : tested) list += (list.empty() ? "" : " ") + name;
  RecordProperty("formats", list);
  std::printf("shared across processes: %s\n", list.c_str());
}

TEST_F(CrossProcessTest, ExportedFdsAreCloseOnExec) {
  // Otherwise every process the application spawns would inherit (and pin) shared memory.
  auto texture = manager().create(rgba8(8, 8));
  ASSERT_TRUE(texture) << texture.error().to_string();
  auto handle = manager().export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();
  const int flags = fcntl(handle->os_handle.get(), F_GETFD);
  ASSERT_GE(flags, 0);
  EXPECT_NE(flags & FD_CLOEXEC, 0);
  auto copy = handle->clone();
  ASSERT_TRUE(copy) << copy.error().to_string();
  EXPECT_NE(fcntl(copy->os_handle.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(CrossProcessTest, PeerRejectsBadHandlesAndKeepsWorking) {
  auto texture = manager().create(rgba8(32, 32));
  ASSERT_TRUE(texture) << texture.error().to_string();
  auto handle = manager().export_texture(**texture);
  ASSERT_TRUE(handle) << handle.error().to_string();

  struct Case {
    const char* name;
    void (*corrupt)(PeerMessage&);
    ErrorCode expected;
  };
  const Case cases[] = {
      {"zero UUIDs",
       [](PeerMessage& m) {
         std::memset(m.driver_uuid, 0, 16);
         std::memset(m.device_uuid, 0, 16);
       },
       ErrorCode::DeviceMismatch},
      {"other device UUID", [](PeerMessage& m) { m.device_uuid[15] ^= 0x5a; },
       ErrorCode::DeviceMismatch},
      {"zero width", [](PeerMessage& m) { m.width = 0; }, ErrorCode::Validation},
      {"allocation too small", [](PeerMessage& m) { m.allocation_size = 256; },
       ErrorCode::Validation},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PeerMessage message = make_message(PeerCommand::ImportCheckWrite);
    put_handle(message, *handle);
    c.corrupt(message);
    auto reply = peer_->request(message, handle->os_handle.get());
    ASSERT_TRUE(reply) << reply.error().to_string();
    EXPECT_EQ(reply->message.status, static_cast<std::uint32_t>(PeerStatus::Error))
        << text_of(reply->message);
    EXPECT_EQ(reply->message.error_code, static_cast<std::uint32_t>(c.expected))
        << text_of(reply->message);
  }
  EXPECT_TRUE(ParentToPeer(rgba8(32, 32), 50));
}

TEST_F(CrossProcessTest, PeerExitsCleanlyWhenTheSocketCloses) {
  EXPECT_TRUE(PeerToParent(rgba8(16, 16), 60));
  peer_->close_socket();  // TearDown then only reaps it and checks its exit status
}

}  // namespace
}  // namespace geyser::test
