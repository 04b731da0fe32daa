// `geyser recv` and vulkan::Receiver against geyser_fake_sender, a sender process that
// answers Hello and then misbehaves: garbage, absurd descriptions, fds of the wrong kind or
// too many, a memfd truncated under the receiver, frames and timeline values that go back
// or jump to 2^63, wrong pixels, silence, SIGSTOP. The receiver must fail with an error that
// names the problem, within its timeout, never die of a signal and never call a wrong frame
// verified. One control case (a valid stream) shows that the harness can pass.
#include <stdlib.h>  // mkdtemp

#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/process.hpp"
#include "fake_sender_process.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "ipc/fd_count.hpp"

namespace geyser::hostile_test {
namespace {

using namespace std::chrono_literals;
using cli_test::Outcome;
using Clock = std::chrono::steady_clock;

constexpr const char* kChannel = "hostile";
// What the tests give `geyser recv --timeout` and the Receiver's calls.
constexpr auto kTimeout = 2s;
// A bound on a hang, not a speed assertion: twice the timeout plus 5 s for the start of a
// process that creates a Vulkan device with the validation layer. The slowest honest case
// here (a mute sender) takes about 2.5 s.
constexpr auto kHangBound = kTimeout * 2 + 5s;

// Whether recv's summary says frames were received and all matched ("N frames from ...,
// 0 bad" with N > 0): what it must never say of a hostile sender.
bool reports_verified_frames(const std::string& out) {
  static const std::regex summary(R"((\d+) frames from '.*?, (\d+) bad)");
  std::smatch match;
  return std::regex_search(out, match, summary) && std::stoull(match[1].str()) > 0 &&
         std::stoull(match[2].str()) == 0;
}

// Each test: a private runtime directory (GEYSER_RUNTIME_DIR) and a fake sender in it.
class HostileSenderTest : public testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/geyser-hostile-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);  // mode 0700
    dir_ = templ;
  }
  void TearDown() override {
    if (HasFailure() && sender_) std::cerr << "fake sender's log:\n" << sender_->log();
    sender_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts the fake sender in `mode` and waits until it has published the channel.
  void start_sender(const std::string& mode) {
    sender_ = std::make_unique<FakeSenderProcess>(kChannel, mode, dir_, dir_ / "fake-sender.log");
    ASSERT_TRUE(sender_->wait_ready(30s)) << "the fake sender did not publish:\n" << sender_->log();
  }

  // `geyser recv`, checking three frames against the test pattern, as a user checks a channel.
  Outcome recv_verify() const {
    return cli_test::run({"recv", kChannel, "--frames", "3", "--timeout", "2", "--verify"}, 60s,
                         {{"GEYSER_RUNTIME_DIR", dir_.string()}});
  }

  std::filesystem::path dir_;
  std::unique_ptr<FakeSenderProcess> sender_;
};

// --- geyser recv as a process ---

struct RecvCase {
  const char* mode;
  const char* error;  // what recv's stderr must say
};

void PrintTo(const RecvCase& c, std::ostream* os) {
  *os << c.mode;
}

class RecvAgainst : public HostileSenderTest, public testing::WithParamInterface<RecvCase> {};

TEST_P(RecvAgainst, ExitsOneNamingTheErrorAndVerifiesNothing) {
  ASSERT_NO_FATAL_FAILURE(start_sender(GetParam().mode));
  const Outcome o = recv_verify();
  const std::string output = "stdout:\n" + o.out + "stderr:\n" + o.err;
  EXPECT_FALSE(o.timed_out) << output;
  EXPECT_EQ(o.signal, 0) << "killed by a signal\n" << output;
  EXPECT_EQ(o.exit_code, 1) << output;
  EXPECT_LT(o.elapsed, kHangBound) << output;
  EXPECT_NE(o.err.find(GetParam().error), std::string::npos)
      << "stderr does not say \"" << GetParam().error << "\"\n"
      << output;
  EXPECT_EQ(o.err.find("unknown channel"), std::string::npos) << "never reached the sender\n"
                                                              << output;
  EXPECT_FALSE(reports_verified_frames(o.out)) << output;
  // The sender is still there (or stopped): recv failed because of what it sent.
  EXPECT_TRUE(sender_->alive()) << sender_->log();
}

const RecvCase kRecvCases[] = {
    {"garbage", "wrong magic"},
    {"truncated-header", "shorter than the 16-byte header"},
    {"width-zero", "width 0"},
    {"width-2^31", "width 2147483648"},
    {"unknown-format", "format 999"},
    {"slot-count-zero", "slot count 0"},
    {"slot-count-255", "slot count 255"},
    {"unknown-handle-type", "handle type 9"},
    {"memory-fd-pipe", "is a pipe"},
    // A character device passes the fd checks; the driver must refuse it.
    {"memory-fd-dev-null", "memory devices"},
    {"memory-fd-socket", "is a socket"},
    {"memory-fd-directory", "is a directory"},
    {"ready-fd-pipe", "CpuTimeline::open"},
    {"one-fd-too-many", "9 attached"},
    {"fds-over-the-limit", "MSG_CTRUNC"},
    {"unsealed-memfd-shrunk", "F_SEAL_SHRINK"},
    {"host-memfd-unsealed", "sealed against resizing and writing, got 65536 bytes with seals 0"},
    {"host-memfd-too-small", "sealed against resizing and writing, got 32768 bytes"},
    {"host-memfd-writable", "sealed against resizing and writing, got 65536 bytes with seals 7"},
    {"frames-backwards", "frames must rise"},
    {"frame-2^63", "below 2^62"},
    {"timeline-2^63", "timeline value 9223372036854775808"},
    {"wrong-pixels", "does not match the test pattern"},
    {"frame-never-written", "no frame on 'hostile'"},
    {"silent-after-hello", "did not describe its stream"},
    {"silent-after-description", "no frame on 'hostile'"},
    {"sigstop-after-hello", "did not describe its stream"},
    {"sigstop-after-description", "no frame on 'hostile'"},
};

std::string case_name(const testing::TestParamInfo<RecvCase>& info) {
  std::string name;
  for (const char* c = info.param.mode; *c != '\0'; ++c) {
    if (std::isalnum(static_cast<unsigned char>(*c))) name += *c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Modes, RecvAgainst, testing::ValuesIn(kRecvCases), case_name);

// Every frame of this stream holds another frame's pattern: each must be counted bad.
TEST_F(HostileSenderTest, RecvVerifyCountsEveryWrongFrameBad) {
  ASSERT_NO_FATAL_FAILURE(start_sender("wrong-pixels"));
  const Outcome o = recv_verify();
  ASSERT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("3 frames from 'hostile'"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(", 3 bad"), std::string::npos) << o.out;
}

// A mute sender: recv's error must not claim a shorter wait than the --timeout it was given.
TEST_F(HostileSenderTest, RecvNamesTheTimeItWaitedForAMuteSender) {
  ASSERT_NO_FATAL_FAILURE(start_sender("silent-after-hello"));
  const Outcome o = recv_verify();
  ASSERT_EQ(o.exit_code, 1) << o.err;
  static const std::regex within(R"(within (\d+) ms)");
  for (std::sregex_iterator it(o.err.begin(), o.err.end(), within), end; it != end; ++it) {
    EXPECT_GE(std::stoull((*it)[1].str()), 2000u) << "recv ran with --timeout 2:\n" << o.err;
  }
}

// The control: the fake sender's honest mode passes --verify, so the failures above are the
// hostile modes' doing, not the harness's.
TEST_F(HostileSenderTest, RecvVerifyPassesAValidStream) {
  ASSERT_NO_FATAL_FAILURE(start_sender("valid"));
  const Outcome o = recv_verify();
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("3 frames from 'hostile'"), std::string::npos) << o.out;
  EXPECT_TRUE(reports_verified_frames(o.out)) << o.out;
  EXPECT_LT(o.elapsed, kHangBound);
}

// --- vulkan::Receiver in this process ---

struct ApiCase {
  const char* mode;
  std::optional<ErrorCode> connect_code;  // nullopt: connect succeeds
  ErrorCode acquire_code = ErrorCode::Protocol;
  // Frames that may be acquired before the error: a good frame announced before the bad
  // one can be taken before the bad one is read.
  std::size_t may_acquire = 0;
};

void PrintTo(const ApiCase& c, std::ostream* os) {
  *os << c.mode;
}

// One device for the suite, as an application has.
class ReceiverTest : public HostileSenderTest {
 protected:
  static void SetUpTestSuite() {
    auto created = vulkan::Device::create_headless();
    ASSERT_TRUE(created) << created.error().to_string();
    device_ = new vulkan::Device(std::move(created).value());
  }
  static void TearDownTestSuite() {
    delete device_;
    device_ = nullptr;
  }
  channel::ReceiverOptions options() const {
    channel::ReceiverOptions o;
    o.runtime_dir = dir_;
    return o;
  }
  static vulkan::Device* device_;
};
vulkan::Device* ReceiverTest::device_ = nullptr;

class ReceiverAgainst : public ReceiverTest, public testing::WithParamInterface<ApiCase> {};

// How long `call` took.
template <typename F>
Clock::duration timed(F&& call) {
  const auto start = Clock::now();
  call();
  return Clock::now() - start;
}

// Acquires until an error, at most `limit` + 1 times; the frames it got, and the error.
std::vector<std::uint64_t> acquire_until_error(vulkan::Receiver& receiver, std::size_t limit,
                                               std::optional<Error>& error) {
  std::vector<std::uint64_t> frames;
  while (frames.size() <= limit) {
    std::optional<Result<vulkan::ReceivedFrame>> frame;
    const auto took = timed([&] { frame = receiver.acquire(kTimeout); });
    EXPECT_LT(took, kTimeout + 3s) << "acquire(" << kTimeout.count() << " s)";
    if (!*frame) {
      error = frame->error();
      break;
    }
    frames.push_back((*frame)->frame);
  }
  return frames;
}

TEST_P(ReceiverAgainst, FailsWithItsCodeInTimeAndLeaksNothing) {
  ASSERT_NE(device_, nullptr);
  ASSERT_NO_FATAL_FAILURE(start_sender(GetParam().mode));
  // The mute modes must end in Timeout: a handshake timeout longer than the connect timeout
  // keeps the receiver on its one connection (the default is the test below).
  channel::ReceiverOptions o = options();
  o.handshake_timeout = kTimeout * 3;
  const std::size_t fds_before = ipc::test::open_fd_count();
  {
    std::optional<Result<vulkan::Receiver>> connected;
    const auto connect_time =
        timed([&] { connected = vulkan::Receiver::connect(*device_, kChannel, kTimeout, o); });
    EXPECT_LT(connect_time, kTimeout + 3s);
    if (GetParam().connect_code) {
      ASSERT_FALSE(*connected) << "connect succeeded";
      EXPECT_EQ(connected->error().code(), *GetParam().connect_code)
          << connected->error().to_string();
    } else {
      ASSERT_TRUE(*connected) << connected->error().to_string();
      vulkan::Receiver& receiver = connected->value();
      std::optional<Error> error;
      const auto frames = acquire_until_error(receiver, GetParam().may_acquire, error);
      EXPECT_LE(frames.size(), GetParam().may_acquire) << "acquired frame " << frames.back();
      ASSERT_TRUE(error.has_value());
      EXPECT_EQ(error->code(), GetParam().acquire_code) << error->to_string();
      EXPECT_EQ(receiver.stats().frames_acquired, frames.size());
      if (frames.empty()) {
        EXPECT_EQ(receiver.held(), nullptr);
      }
    }
  }
  EXPECT_EQ(ipc::test::open_fd_count(), fds_before) << "the receiver leaked descriptors";
}

// A sender that published the channel and took the Hello but never describes its stream is
// a Timeout ("did not describe its stream"), not "no sender published". With the connect
// timeout just over the handshake timeout, the receiver drops the mute connection at the
// deadline and reports it as no sender at all.
TEST_F(ReceiverTest, ConnectToAMuteSenderIsTimeoutNotNoSender) {
  ASSERT_NE(device_, nullptr);
  ASSERT_NO_FATAL_FAILURE(start_sender("silent-after-hello"));
  channel::ReceiverOptions o = options();
  o.handshake_timeout = kTimeout - 50ms;
  auto connected = vulkan::Receiver::connect(*device_, kChannel, kTimeout, o);
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().code(), ErrorCode::Timeout) << connected.error().to_string();
  EXPECT_EQ(connected.error().message().find("no sender published"), std::string::npos)
      << connected.error().to_string();
}

const ApiCase kApiCases[] = {
    {"garbage", ErrorCode::Protocol},
    {"width-2^31", ErrorCode::Protocol},
    {"fds-over-the-limit", ErrorCode::Protocol},
    {"memory-fd-pipe", ErrorCode::Validation},
    {"memory-fd-dev-null", ErrorCode::Validation},
    {"unsealed-memfd-shrunk", ErrorCode::Validation},
    {"silent-after-hello", ErrorCode::Timeout},
    {"sigstop-after-hello", ErrorCode::Timeout},
    {"frames-backwards", std::nullopt, ErrorCode::Protocol, 1},
    {"frame-2^63", std::nullopt, ErrorCode::Protocol},
    {"timeline-2^63", std::nullopt, ErrorCode::Protocol},
    {"frame-never-written", std::nullopt, ErrorCode::Timeout},
    {"silent-after-description", std::nullopt, ErrorCode::Timeout},
};

std::string api_case_name(const testing::TestParamInfo<ApiCase>& info) {
  return case_name(testing::TestParamInfo<RecvCase>({info.param.mode, ""}, info.index));
}

INSTANTIATE_TEST_SUITE_P(Modes, ReceiverAgainst, testing::ValuesIn(kApiCases), api_case_name);

}  // namespace
}  // namespace geyser::hostile_test
