// The soak test (label soak): a channel under churn for as long as the mode says.
//
// One long-lived receiver stays for the whole run. Short-lived receivers join and leave at
// random (they finish a frame count, are told to stop, or are killed with -9). Malformed
// clients spray the live sender. The sender is killed with SIGKILL at random moments and
// restarted; between its death and its restart a garbage "sender" publishes the channel
// name and answers every receiver with garbage, then goes away. Every frame any receiver
// acquires is checked against the test pattern by the receiver itself
// (tests/channel/channel_peer.cpp). At the end: no bad frame, no process dead of a signal we
// did not send, every reconnect of the long-lived receiver completed, and its fd count and
// RSS are flat. One summary line gives frames checked, restarts, receivers joined, garbage
// peers and the reconnect time p50/p99 (from a receiver's "disconnected" to its first frame
// from the new sender, both CLOCK_MONOTONIC as the receiver printed them).
//
// Modes (environment):
//   GEYSER_SOAK_RESTARTS=N  sender restarts (default 10: the short mode CI runs, 20 to 30 s
//                           on the 2-core VM); the long mode is 100, by hand (-V shows the
//                           summary line of a passing run):
//                             GEYSER_SOAK_RESTARTS=100 ctest --test-dir build -L soak -V
//   GEYSER_SOAK_SEED=S      the seed of every random choice (default: from the clock); the
//                           seed is printed first, so a failing run can be replayed.
// Timing still varies from run to run (processes race), so a seed replays the choices, not
// the interleavings.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "geyser/vulkan/device.hpp"
#include "soak/garbage.hpp"
#include "soak/soak_lines.hpp"
#include "soak/soak_peer.hpp"

namespace geyser::soak {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr const char* kChannel = "soak";
// 512x512 RGBA: 1 MiB a slot, so that a receiver leaking its imports on reconnects would
// grow its RSS by at least a 3-slot ring (3 MiB) per restart, well over kRssSlack in a run.
constexpr const char* kSize = "512x512";
constexpr const char* kPaceMs = "15";
constexpr auto kStart = 30s;  // a peer's Vulkan device with validation on a loaded VM is slow
constexpr int kMaxShortReceivers = 2;  // 2 cores: more would starve the sender
// Frames the long-lived receiver takes on a quiet sender before its fds and RSS are read.
constexpr std::size_t kSettleFrames = 30;
// Its fds after the run may exceed those after warm-up by this much: none are expected
// (same ring size, one connection, one held frame), but a descriptor the C library or the
// driver opens lazily once (a cache file, say) is no leak; a leak grows with every restart.
constexpr std::uint64_t kFdSlack = 2;
// Its RSS may grow by this much: allocator arenas and the validation layer's tables settle
// slowly, by a few MiB; a leaked import is 1 MiB a slot (see kSize), times every restart.
constexpr std::uint64_t kRssSlack = 16ull << 20;

struct Config {
  int restarts = 10;
  std::uint64_t seed = 0;
};

Config config_from_environment() {
  Config config;
  if (const char* restarts = std::getenv("GEYSER_SOAK_RESTARTS")) {
    config.restarts = std::atoi(restarts);
  }
  if (const char* seed = std::getenv("GEYSER_SOAK_SEED")) {
    config.seed = std::strtoull(seed, nullptr, 10);
  } else {
    config.seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  }
  return config;
}

// What the run did, for the summary line.
struct Counts {
  int restarts = 0;
  int receivers_joined = 0;
  int receivers_killed = 0;
  int garbage_clients = 0;
  int garbage_senders = 0;
  std::size_t garbage_answers = 0;
};

class SoakTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = config_from_environment();
    rng_.seed(config_.seed);
    std::printf("soak: seed %llu (GEYSER_SOAK_SEED), %d restarts (GEYSER_SOAK_RESTARTS)\n",
                static_cast<unsigned long long>(config_.seed), config_.restarts);
    ASSERT_GE(config_.restarts, 2) << "warm-up is the first restart; the run needs one more";
    char pattern[] = "/tmp/geyser-soak-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
    // The Hellos the malformed clients send must be accepted, so that garbage after a good
    // Hello reaches a connected receiver's state: they name this machine's device.
    auto device = vulkan::Device::create_headless();
    ASSERT_TRUE(device) << device.error().to_string();
    identity_ = device->identity();
  }

  void TearDown() override {
    receivers_.clear();  // kills and reaps whatever is still running
    long_lived_.reset();
    senders_.clear();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  int random_int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  milliseconds random_ms(int low, int high) { return milliseconds(random_int(low, high)); }

  std::unique_ptr<Peer> spawn(const std::string& label, const std::vector<std::string>& args) {
    auto peer = std::make_unique<Peer>(label, GEYSER_CHANNEL_PEER, args, dir_);
    EXPECT_TRUE(peer->started()) << peer->tail();
    return peer;
  }

  Peer& sender() { return *senders_.back(); }

  void start_sender() {
    const std::string label = "sender-" + std::to_string(senders_.size());
    // Frames until stdin closes; --max-ms: longer than any mode runs.
    senders_.push_back(
        spawn(label, {"send", kChannel, "0", kSize, "--pace-ms", kPaceMs, "--max-ms", "3600000"}));
    ASSERT_TRUE(sender().wait_until(has_prefix("ready", 0), kStart))
        << "the sender did not publish. " << sender().tail();
  }

  void kill_sender() {
    ASSERT_TRUE(sender().running() && !sender().poll_exit())
        << "the sender ended before we killed it. " << sender().tail();
    sender().kill9();
    ASSERT_TRUE(sender().wait_exit(10s)) << sender().label() << " was not reaped";
    ++counts_.restarts;
  }

  void start_long_lived() {
    long_lived_ = spawn("long-lived", {"recv", kChannel, "--first-frame-ns", "--proc-ms", "100",
                                       "--connect-ms", "30000", "--max-ms", "3600000"});
    ASSERT_TRUE(long_lived_->wait_until(has_frames_after(0, 1), kStart))
        << "no first frame. " << long_lived_->tail();
  }

  // Joins a short-lived receiver: it takes a random number of frames and leaves, or stays
  // until leave_at_random() tells it to stop or kills it.
  void join_receiver() {
    std::vector<std::string> args{"recv", kChannel, "--first-frame-ns", "--max-ms", "3600000"};
    if (random_int(0, 1) == 0) {
      args.push_back("--frames");
      args.push_back(std::to_string(random_int(5, 60)));
    }
    receivers_.push_back(spawn("receiver-" + std::to_string(counts_.receivers_joined), args));
    ++counts_.receivers_joined;
  }

  // Stops (EOF on stdin) or kills (-9) one running short-lived receiver.
  void leave_at_random() {
    std::vector<Peer*> running;
    for (auto& r : receivers_) {
      if (!r->poll_exit()) running.push_back(r.get());
    }
    if (running.empty()) return;
    Peer* leaver = running[static_cast<std::size_t>(random_int(0, int(running.size()) - 1))];
    if (random_int(0, 1) == 0) {
      leaver->kill9();
      ++counts_.receivers_killed;
    } else {
      leaver->close_stdin();
    }
  }

  [[nodiscard]] int running_short_receivers() {
    int n = 0;
    for (auto& r : receivers_) n += r->poll_exit() ? 0 : 1;
    return n;
  }

  void spray_client() {
    const auto result = spray_garbage_client(dir_, kChannel, identity_, rng_, 5s);
    ++counts_.garbage_clients;
    EXPECT_TRUE(result.problem.empty()) << "malformed client \"" << result.kind
                                        << "\": " << result.problem << ". " << sender().tail();
  }

  // Random joins, leaves and malformed clients for `duration` while the sender lives.
  void churn(milliseconds duration, bool joins) {
    const auto end = Clock::now() + duration;
    while (Clock::now() < end) {
      const int action = random_int(0, 9);
      if (action < 3 && joins && running_short_receivers() < kMaxShortReceivers) {
        join_receiver();
      } else if (action < 5) {
        leave_at_random();
      } else if (action < 8) {
        spray_client();
      }
      std::this_thread::sleep_for(random_ms(20, 200));
    }
  }

  // Receivers that join just before the sender dies would meet the garbage sender in their
  // first connect, which a receiver is right to give up on (Receiver::connect: only "nobody
  // publishes it" is waited out). So the sender dies only once every joined one has connected.
  void wait_joined_receivers_connected() {
    for (auto& r : receivers_) {
      const bool ready = r->wait_until(
          [&](const std::vector<std::string>& lines) {
            return has_prefix("ready", 0)(lines) || r->poll_exit();
          },
          kStart);
      ASSERT_TRUE(ready) << r->label() << " never connected. " << r->tail();
    }
  }

  void stop_short_receivers() {
    for (auto& r : receivers_) r->close_stdin();
    for (auto& r : receivers_) {
      ASSERT_TRUE(r->wait_exit(20s)) << r->label() << " did not stop. " << r->tail();
    }
  }

  // The impostor's turn: publishes over the dead sender's stale socket, answers garbage.
  void garbage_sender_phase() {
    const auto result = run_garbage_sender(dir_, kChannel, rng_, random_ms(100, 600));
    ASSERT_TRUE(result.published) << "the garbage sender could not publish: " << result.error;
    ++counts_.garbage_senders;
    counts_.garbage_answers += result.answered;
  }

  // The long-lived receiver's first frame from the sender started last: it refused the
  // garbage sender and came back.
  void wait_long_lived_reconnected(std::size_t connections) {
    ASSERT_TRUE(long_lived_->wait_until(has_connections(connections), kStart))
        << "the long-lived receiver did not reconnect to " << sender().label() << ". "
        << long_lived_->tail() << "\n"
        << sender().tail();
  }

  // Its fds and RSS once it has taken kSettleFrames frames on the current connection.
  ProcSample measure_long_lived() {
    const std::size_t from = long_lived_->line_count();
    std::optional<ProcSample> sample;
    const bool measured = long_lived_->wait_until(
        [&](const std::vector<std::string>& lines) {
          sample = proc_after_frames(lines, from, kSettleFrames);
          return sample.has_value();
        },
        kStart);
    EXPECT_TRUE(measured) << "no proc line after " << kSettleFrames << " frames. "
                          << long_lived_->tail();
    return sample.value_or(ProcSample{});
  }

  // One sender's life after its start: churn, then kill -9 and the garbage sender, then the
  // next sender, to which the long-lived receiver must come back. A quiet cycle has no
  // short-lived receivers left when it ends, so that the next sender serves the long-lived
  // receiver alone (a ring of the same size as at the other measurement).
  void cycle(int index, bool quiet) {
    SCOPED_TRACE("restart " + std::to_string(index) + " of " + std::to_string(config_.restarts));
    churn(random_ms(300, 1500), /*joins=*/!quiet);
    ASSERT_NO_FATAL_FAILURE(wait_joined_receivers_connected());
    if (quiet) {
      ASSERT_NO_FATAL_FAILURE(stop_short_receivers());
    }
    std::this_thread::sleep_for(random_ms(0, 300));  // a random moment of the stream
    ASSERT_NO_FATAL_FAILURE(kill_sender());
    ASSERT_NO_FATAL_FAILURE(garbage_sender_phase());
    ASSERT_NO_FATAL_FAILURE(start_sender());
    ASSERT_NO_FATAL_FAILURE(wait_long_lived_reconnected(static_cast<std::size_t>(index) + 1));
  }

  void stop_everything() {
    // Receivers first: stopping the sender first would end each with a reconnect to nobody.
    ASSERT_NO_FATAL_FAILURE(stop_short_receivers());
    long_lived_->close_stdin();
    EXPECT_TRUE(long_lived_->wait_exit(20s)) << long_lived_->tail();
    sender().close_stdin();
    EXPECT_TRUE(sender().wait_exit(20s)) << sender().tail();
  }

  // Every peer: ended as we meant (exit 0, or the SIGKILL we sent), no validation message,
  // no error line, no bad or stale frame.
  void check_peer(const Peer& peer) {
    const auto lines = peer.lines();
    for (const std::string& problem : problem_lines(lines)) {
      ADD_FAILURE() << peer.label() << " printed: " << problem;
    }
    const auto status = peer.status();
    ASSERT_TRUE(status) << peer.label() << " was not reaped";
    if (WIFSIGNALED(*status)) {
      EXPECT_TRUE(peer.killed_by_us() && WTERMSIG(*status) == SIGKILL)
          << peer.label() << " died of signal " << WTERMSIG(*status) << ". " << peer.tail();
      return;
    }
    EXPECT_EQ(WEXITSTATUS(*status), 0) << peer.label() << ". " << peer.tail();
    EXPECT_TRUE(ended_with_validation_zero(lines)) << peer.label() << ". " << peer.tail();
  }

  std::vector<const Peer*> all_peers() const {
    std::vector<const Peer*> out;
    for (auto& p : senders_) out.push_back(p.get());
    for (auto& p : receivers_) out.push_back(p.get());
    if (long_lived_) out.push_back(long_lived_.get());
    return out;
  }

  Config config_;
  std::mt19937_64 rng_;
  std::string dir_;
  DeviceIdentity identity_;
  std::vector<std::unique_ptr<Peer>> senders_;
  std::vector<std::unique_ptr<Peer>> receivers_;  // short-lived, including those gone
  std::unique_ptr<Peer> long_lived_;
  Counts counts_;
};

TEST_F(SoakTest, ReceiversChurnSenderRestartsGarbageOnBothEnds) {
  const auto started = Clock::now();
  ASSERT_NO_FATAL_FAILURE(start_sender());
  ASSERT_NO_FATAL_FAILURE(start_long_lived());
  // Warm-up: the first restart, with the long-lived receiver alone on the next sender.
  ASSERT_NO_FATAL_FAILURE(cycle(1, /*quiet=*/true));
  const ProcSample warm = measure_long_lived();
  for (int i = 2; i <= config_.restarts; ++i) {
    ASSERT_NO_FATAL_FAILURE(cycle(i, /*quiet=*/i == config_.restarts));
  }
  const ProcSample end = measure_long_lived();
  ASSERT_NO_FATAL_FAILURE(stop_everything());

  for (const Peer* peer : all_peers()) check_peer(*peer);
  std::size_t frames = 0;
  std::vector<double> reconnect_ms;
  for (const Peer* peer : all_peers()) {
    const auto lines = peer->lines();
    frames += frame_lines(lines);
    const ReconnectTimes times = reconnect_times(lines);
    reconnect_ms.insert(reconnect_ms.end(), times.ms.begin(), times.ms.end());
    if (peer == long_lived_.get()) {
      // It was there through every restart: each disconnect ended in a frame of the next
      // sender.
      EXPECT_EQ(times.ms.size(), static_cast<std::size_t>(counts_.restarts)) << peer->tail(40);
      EXPECT_EQ(times.incomplete, 0u) << peer->tail(40);
    }
  }
  EXPECT_GT(reconnect_ms.size(), 0u);
  EXPECT_EQ(counts_.restarts, config_.restarts);
  EXPECT_GT(frames, 0u);
  EXPECT_LE(end.fds, warm.fds + kFdSlack) << "the long-lived receiver's open fds";
  EXPECT_LE(end.rss, warm.rss + kRssSlack) << "the long-lived receiver's RSS";

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf(
      "soak: seed %llu, %.1f s: frames checked %zu, restarts %d, receivers joined %d (killed %d), "
      "garbage peers %d (clients %d, senders %d answering %zu connections), reconnects %zu, "
      "reconnect p50 %.1f ms p99 %.1f ms, long-lived fds %llu -> %llu, rss %.1f -> %.1f MiB\n",
      static_cast<unsigned long long>(config_.seed), seconds, frames, counts_.restarts,
      counts_.receivers_joined, counts_.receivers_killed,
      counts_.garbage_clients + counts_.garbage_senders, counts_.garbage_clients,
      counts_.garbage_senders, counts_.garbage_answers, reconnect_ms.size(),
      percentile(reconnect_ms, 50), percentile(reconnect_ms, 99),
      static_cast<unsigned long long>(warm.fds), static_cast<unsigned long long>(end.fds),
      static_cast<double>(warm.rss) / (1 << 20), static_cast<double>(end.rss) / (1 << 20));
}

}  // namespace
}  // namespace geyser::soak
