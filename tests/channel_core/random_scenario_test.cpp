// Randomized scenarios: per seed, a short random run of presents, acquires, releases,
// stalls, joins, leaves, resizes and sender restarts with 1-4 receivers, checking after
// every step what must always hold:
//  - every frame a receiver acquires is whole (the pattern of its number), and frames rise
//    strictly on each connection; the frame a receiver holds stays whole until it lets go,
//    whatever the sender does meanwhile (writes, resizes, exits);
//  - the sender never waits for a slot (each receiver pins at most two);
//  - the ring has 2 x receivers + 1 slots (at most 16) once the sender has written;
//  - nobody breaks the backend contract; at the end no link, import or fd is left.
#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

using namespace std::chrono_literals;

struct Rx {
  std::shared_ptr<FakeReceiverControl> control = std::make_shared<FakeReceiverControl>();
  std::optional<ReceiverCore> core;
  std::uint64_t epoch = 0;       // the sender it was last connected to
  std::uint64_t connection = 0;  // of its last lease
  std::uint64_t last_frame = 0;  // of its last lease
  std::uint64_t acquired = 0;
  bool stalled = false;
};

class Scenario {
 public:
  explicit Scenario(std::uint32_t seed) : rng_(seed) {}

  void run(int steps) {
    start_sender();
    const int initial = 1 + static_cast<int>(pick(2));
    for (int i = 0; i < initial && !::testing::Test::HasFailure(); ++i) join();
    for (int i = 0; i < steps && !::testing::Test::HasFailure(); ++i) {
      step();
      check();
    }
    finish();
  }

 private:
  std::uint32_t pick(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }

  void note(const std::string& what) { log_ += "\n  " + what; }
  std::string trace() const { return "steps so far:" + log_; }

  void step() {
    const std::uint32_t roll = pick(100);
    if (!sender_ && roll < 30) return start_sender();
    if (roll < 30) return present();
    if (roll < 62) return acquire(pick_receiver());
    if (roll < 68) return release(pick_receiver());
    if (roll < 73) return toggle_stall(pick_receiver());
    if (roll < 78) return receivers_.size() < 4 ? join() : leave(pick_receiver());
    if (roll < 82) return receivers_.size() > 1 ? leave(pick_receiver()) : join();
    if (roll < 86) return resize();
    if (roll < 90) return stop_sender();
    if (roll < 93) return cancel_one();
    if (sender_) {
      note("poll");
      ASSERT_TRUE(sender_->poll());
    }
  }

  std::size_t pick_receiver() {
    return receivers_.empty() ? 0 : pick(static_cast<std::uint32_t>(receivers_.size()));
  }

  void start_sender() {
    if (sender_) return;
    ++epoch_;
    note("start sender " + std::to_string(epoch_));
    auto published = publish_fake(transport_, control_, random_desc());
    ASSERT_TRUE(published) << published.error().to_string() << "\n" << trace();
    sender_.emplace(std::move(published).value());
  }

  void stop_sender() {
    if (!sender_) return;
    note("stop sender");
    sender_.reset();
  }

  TextureDescriptor random_desc() {
    static constexpr TextureFormat kFormats[] = {TextureFormat::Rgba8Unorm, TextureFormat::R8Unorm,
                                                 TextureFormat::Rgba16Float,
                                                 TextureFormat::Rg32Float};
    return small_desc(1 + pick(12), 1 + pick(6), kFormats[pick(4)]);
  }

  void present() {
    if (!sender_) return;
    const bool by_hand = pick(4) == 0;
    note(std::string("present") + (by_hand ? " (acquire, write, present)" : ""));
    std::uint64_t frame = 0;
    if (by_hand) {
      auto lease = sender_->acquire(kShort);
      ASSERT_TRUE(lease) << "the sender waited for a slot: " << lease.error().to_string() << "\n"
                         << trace();
      ASSERT_TRUE(
          sender_->backend().write(lease->slot, pattern(sender_->descriptor(), lease->frame)));
      ASSERT_TRUE(sender_->present(*lease));
      frame = lease->frame;
    } else {
      auto written = write_frame(*sender_);
      ASSERT_TRUE(written) << "the sender waited for a slot: " << written.error().to_string()
                           << "\n"
                           << trace();
      frame = *written;
    }
    note("  -> frame " + std::to_string(frame));
    const std::size_t needed =
        std::min<std::size_t>(2 * sender_->stats().receivers + 1, ipc::kMaxSlots);
    EXPECT_GE(control_->slot_count, std::max<std::size_t>(needed, 3)) << trace();
  }

  void cancel_one() {
    if (!sender_) return;
    note("acquire and cancel");
    auto lease = sender_->acquire(kShort);
    ASSERT_TRUE(lease) << lease.error().to_string() << "\n" << trace();
    sender_->cancel(*lease);
  }

  void resize() {
    if (!sender_) return;
    const TextureDescriptor desc = random_desc();
    note("resize to " + describe(desc));
    auto resized = sender_->resize(desc);
    ASSERT_TRUE(resized) << resized.error().to_string() << "\n" << trace();
    EXPECT_EQ(sender_->descriptor(), desc);
  }

  void join() {
    if (!sender_) return;
    note("join as r" + std::to_string(receivers_.size()));
    Rx rx;
    auto connected = connect_fake(*sender_, transport_, rx.control);
    ASSERT_TRUE(connected) << connected.error().to_string() << "\n" << trace();
    rx.core.emplace(std::move(connected).value());
    rx.epoch = epoch_;
    EXPECT_EQ(rx.core->descriptor(), sender_->descriptor());
    receivers_.push_back(std::move(rx));
  }

  void leave(std::size_t index) {
    if (index >= receivers_.size()) return;
    note("r" + std::to_string(index) + " leaves");
    Rx& rx = receivers_[index];
    rx.core.reset();
    EXPECT_EQ(rx.control->live_imports, 0) << trace();
    EXPECT_EQ(rx.control->violations, 0) << rx.control->last_violation << "\n" << trace();
    receivers_.erase(receivers_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void toggle_stall(std::size_t index) {
    if (index >= receivers_.size()) return;
    Rx& rx = receivers_[index];
    rx.stalled = !rx.stalled;
    note("r" + std::to_string(index) + (rx.stalled ? " stalls" : " resumes"));
  }

  void release(std::size_t index) {
    if (index >= receivers_.size()) return;
    note("r" + std::to_string(index) + " releases");
    auto released = receivers_[index].core->release();
    ASSERT_TRUE(released) << released.error().to_string() << "\n" << trace();
    EXPECT_EQ(receivers_[index].core->held(), nullptr);
  }

  void acquire(std::size_t index) {
    if (index >= receivers_.size() || receivers_[index].stalled) return;
    Rx& rx = receivers_[index];
    ReceiverCore& core = *rx.core;
    const bool reconnecting = core.state() == ReceiverState::Disconnected && sender_;
    note("r" + std::to_string(index) + " acquires" + (reconnecting ? " (reconnecting)" : ""));
    auto lease =
        reconnecting ? acquire_reconnecting(core, *sender_, *transport_) : core.acquire(0ms);
    if (reconnecting && core.state() != ReceiverState::Disconnected) rx.epoch = epoch_;
    if (!lease) {
      const ErrorCode code = lease.error().code();
      note("  -> " + lease.error().to_string());
      // No new frame, or the sender it knew is gone: anything else is a failure.
      const bool sender_gone = !sender_ || rx.epoch != epoch_;
      EXPECT_TRUE(code == ErrorCode::Timeout || (code == ErrorCode::Disconnected && sender_gone))
          << lease.error().to_string() << "\n"
          << trace();
      EXPECT_FALSE(reconnecting) << "could not reconnect: " << lease.error().to_string() << "\n"
                                 << trace();
      return;
    }
    note("  -> frame " + std::to_string(lease->frame) + " of connection " +
         std::to_string(lease->connection));
    ++rx.acquired;
    EXPECT_TRUE(holds_pattern(*lease)) << trace();
    EXPECT_GE(lease->connection, rx.connection) << trace();
    if (lease->connection == rx.connection) {
      EXPECT_GT(lease->frame, rx.last_frame) << "frames must rise on a connection\n" << trace();
    }
    rx.connection = lease->connection;
    rx.last_frame = lease->frame;
    ASSERT_NE(core.held(), nullptr);
    EXPECT_EQ(core.held()->frame, lease->frame);
    EXPECT_EQ(core.stats().frames_acquired, rx.acquired);
  }

  void check() {
    for (std::size_t i = 0; i < receivers_.size(); ++i) {
      const Rx& rx = receivers_[i];
      if (const FrameLease* held = rx.core->held()) {
        EXPECT_TRUE(holds_pattern(*held)) << "the frame r" << i << " holds was written over\n"
                                          << trace();
      }
      EXPECT_EQ(rx.control->violations, 0) << rx.control->last_violation << "\n" << trace();
    }
    EXPECT_EQ(control_->violations, 0) << control_->last_violation << "\n" << trace();
  }

  void finish() {
    std::vector<std::shared_ptr<FakeReceiverControl>> controls;
    for (Rx& rx : receivers_) controls.push_back(rx.control);
    receivers_.clear();
    sender_.reset();
    for (const auto& control : controls) {
      EXPECT_EQ(control->live_imports, 0) << trace();
      EXPECT_EQ(control->violations, 0) << control->last_violation;
    }
    EXPECT_EQ(control_->live_links, 0) << trace();
    EXPECT_EQ(control_->retired_links, 0) << trace();
    EXPECT_EQ(control_->violations, 0) << control_->last_violation;
  }

  std::mt19937 rng_;
  std::string log_;
  std::shared_ptr<TestTransport> transport_ = make_transport();
  std::shared_ptr<FakeSenderControl> control_ = std::make_shared<FakeSenderControl>();
  std::uint64_t epoch_ = 0;
  std::optional<SenderCore> sender_;
  std::vector<Rx> receivers_;
};

class RandomScenario : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(RandomScenario, KeepsEveryInvariant) {
  const std::size_t fds = fd_count();
  {
    Scenario scenario(GetParam());
    scenario.run(16);
  }
  EXPECT_EQ(fd_count(), fds) << "descriptors leaked";
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomScenario, ::testing::Range<std::uint32_t>(1, 201));

}  // namespace
}  // namespace geyser::channel::test
