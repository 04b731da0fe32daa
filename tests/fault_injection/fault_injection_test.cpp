// Error injection at the Vulkan call boundary: every call that can fail in the create,
// export, import, connect, present and acquire paths fails once in turn, through the
// fault-injection layer (fault_layer.cpp). Each run must give an error with a code and a
// message, or recover and still deliver the right pixels; and afterwards the Vulkan
// objects, the fds and the validation count are what they were before. Real devices
// (lavapipe here, the GPU on the GPU machine), real sockets, the validation layer on.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "fault_layer_control.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "ipc/fd_count.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;

// Where a scenario stopped: the step that returned an error, or none.
struct Outcome {
  std::string step;
  std::optional<Error> error;
};

#define GEYSER_STEP(name, expression)                         \
  if (const auto& step_result = (expression); !step_result) { \
    return Outcome{name, step_result.error()};                \
  }

FaultLayer& layer() {
  static FaultLayer instance;
  return instance;
}

// Loaded before any instance exists, so that the loader's copy is this one, and put in
// the chain of every instance from now on (the loader reads these when it creates one).
// Implicit layers are turned off: they sit above this one and would see their own calls
// fail (Mesa's device-select layer crashes when vkEnumerateDeviceExtensionProperties does),
// and only Geyser's calls are under test.
std::string load_layer() {
  ::setenv("VK_LOADER_LAYERS_DISABLE", "~implicit~", 1);
  ::setenv("VK_ADD_LAYER_PATH", GEYSER_FAULT_LAYER_DIR, 1);
  // Where VK_LAYER_PATH is set (the GPU machine's set-up sets it), the loader searches only
  // there: add our directory to it as well.
  if (const char* paths = std::getenv("VK_LAYER_PATH"); paths != nullptr && *paths != '\0') {
    const std::string both = std::string(paths) + ":" + GEYSER_FAULT_LAYER_DIR;
    ::setenv("VK_LAYER_PATH", both.c_str(), 1);
  }
  ::setenv("VK_INSTANCE_LAYERS", "VK_LAYER_GEYSER_fault_injection", 1);
  return layer().load(GEYSER_FAULT_LAYER);
}
const std::string& layer_load_error() {
  static const std::string error = load_layer();
  return error;
}

// What must be the same before and after every run.
struct Baseline {
  std::size_t fds = 0;
  FaultLayer::Live live{};
  std::uint64_t validation = 0;
  static Baseline now() {
    return {ipc::test::open_fd_count(), layer().live(), vulkan::validation_error_count()};
  }
};

class FaultInjection : public TwoDeviceTest {
 public:
  static void SetUpTestSuite() {
    if (!layer_load_error().empty()) return;
    TwoDeviceTest::SetUpTestSuite();
  }

 protected:
  void SetUp() override {
    ASSERT_EQ(layer_load_error(), "") << "the fault-injection layer did not load";
    TwoDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_GE(layer().owners_created(), 4)
        << "the fault-injection layer is not in the Vulkan chain (VK_ADD_LAYER_PATH="
        << GEYSER_FAULT_LAYER_DIR << ")";
    char pattern[] = "/tmp/geyser-fault-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // Records the calls `scenario` makes when nothing fails, then runs it once per call with
  // that call failing, and checks each run. Prints how each failure ended.
  void fail_each_call(const std::function<Outcome()>& scenario) {
    (void)scenario();  // warm-up: first-use allocations of the driver and loader
    const Baseline before = Baseline::now();
    layer().record();
    const Outcome clean = scenario();
    layer().end();
    ASSERT_FALSE(clean.error) << "with nothing failing, " << clean.step << ": "
                              << clean.error->to_string();
    const std::vector<FaultCall> calls = layer().log();
    ASSERT_FALSE(calls.empty()) << "the scenario made no failable Vulkan call";
    check_back_to(before, "the clean run");

    std::map<std::string, int> endings;
    for (const FaultCall& call : calls) {
      const Baseline run_before = Baseline::now();  // so that one leak is reported once
      layer().arm(call);
      const Outcome outcome = scenario();
      const bool fired = layer().end();
      EXPECT_TRUE(fired) << call.to_string() << " was not made again";
      check_back_to(run_before, "failing " + call.to_string());
      std::string ending = "recovered, pixels right";
      if (outcome.error) {
        EXPECT_FALSE(outcome.error->message().empty()) << call.to_string();
        ending = outcome.step + ": " + std::string(to_string(outcome.error->code()));
      }
      std::printf("  %-48s -> %s\n", call.to_string().c_str(), ending.c_str());
      endings[ending]++;
    }
    std::printf("%zu calls failed in turn; how the runs ended:\n", calls.size());
    for (const auto& [ending, count] : endings) std::printf("  %4d  %s\n", count, ending.c_str());
  }

  void check_back_to(const Baseline& before, const std::string& when) {
    const Baseline after = Baseline::now();
    EXPECT_EQ(after.fds, before.fds) << "open fds after " << when;
    EXPECT_EQ(layer().difference(before.live, after.live), "") << "live objects after " << when;
    EXPECT_EQ(after.validation, before.validation) << "validation errors after " << when;
  }

  std::filesystem::path dir_;
};

// The texture path: create, write, export, import on the other device, read back.
Outcome share_texture(vulkan::VulkanTextureShareManager& producer,
                      vulkan::VulkanTextureShareManager& consumer) {
  TextureDescriptor desc;
  desc.width = 16;
  desc.height = 8;
  auto texture = producer.create(desc);
  GEYSER_STEP("create", texture);
  GEYSER_STEP("upload", write_pattern(**texture, 3));
  auto handle = producer.export_texture(**texture);
  GEYSER_STEP("export", handle);
  auto imported = consumer.import(*handle);
  GEYSER_STEP("import", imported);
  auto bytes = vulkan::readback(**imported);
  GEYSER_STEP("readback", bytes);
  const auto mismatch = check_test_pattern(*bytes, desc.width, desc.height, 4, 3);
  EXPECT_FALSE(mismatch) << "a run reported success with wrong pixels: " << mismatch->to_string();
  return {};
}

TEST_F(FaultInjection, EveryCallOfCreateExportImportFailsOnceCleanly) {
  fail_each_call([&] { return share_texture(manager(0), manager(1)); });
}

// Semaphores: create, export, import (skips where the driver exports none, as lavapipe).
TEST_F(FaultInjection, EveryCallOfSemaphoreExportImportFailsOnceCleanly) {
  const auto capability = manager(0).query_semaphore(SemaphoreType::Timeline);
  if (!capability.exportable || !capability.importable) {
    GTEST_SKIP() << "this device exports no timeline semaphores (lavapipe): the gpu mode "
                    "and its semaphore calls run on the GPU machine";
  }
  fail_each_call([&]() -> Outcome {
    auto semaphore = manager(0).create_vk_semaphore(SemaphoreType::Timeline);
    GEYSER_STEP("create", semaphore);
    auto handle = manager(0).export_semaphore(**semaphore);
    GEYSER_STEP("export", handle);
    auto imported = manager(1).import_vk_semaphore(*handle);
    GEYSER_STEP("import", imported);
    return {};
  });
}

// A device of its own, created and destroyed: the create path from the instance up.
TEST_F(FaultInjection, EveryCallOfDeviceCreationFailsOnceCleanly) {
  fail_each_call([]() -> Outcome {
    auto device = vulkan::Device::create_headless();
    GEYSER_STEP("create_headless", device);
    return {};
  });
}

// The channel: publish on device 0, connect on device 1 (the sender is polled meanwhile),
// two frames, a resize, one more frame; every frame read back and checked. A failed step is
// tried once more, as an application would, and must then work: a failed call may cost a
// frame or a connection, never the channel. The outcome is the first failure.
class ChannelRun {
 public:
  ChannelRun(const vulkan::Device& sender_device, const vulkan::Device& receiver_device,
             std::filesystem::path dir)
      : sender_device_(sender_device), receiver_device_(receiver_device), dir_(std::move(dir)) {}

  Outcome run() {
    std::optional<vulkan::Sender> sender;
    if (!step("publish", [&] { return publish(sender); })) return first_;
    std::optional<vulkan::Receiver> receiver;
    if (!step("connect", [&] { return connect(*sender, receiver); })) return first_;
    for (int i = 0; i < 2; ++i) {
      if (!step("present", [&] { return present(*sender); })) return first_;
      if (!step(
              "acquire", [&] { return acquire_newest(*sender, *receiver); },
              [&] { return present_and_acquire(*sender, *receiver); })) {
        return first_;
      }
    }
    desc_.width = 24;
    if (!step("resize", [&] { return sender->resize(desc_); })) return first_;
    if (!step("present after resize", [&] { return present(*sender); })) return first_;
    if (!step(
            "acquire after resize", [&] { return acquire_newest(*sender, *receiver); },
            [&] { return present_and_acquire(*sender, *receiver); })) {
      return first_;
    }
    return first_;
  }

 private:
  // Runs `attempt`; after a failure, `retry` (by default the same), which must succeed.
  template <typename Attempt>
  bool step(const char* name, Attempt&& attempt) {
    return step(name, attempt, attempt);
  }
  template <typename Attempt, typename Retry>
  bool step(const char* name, Attempt&& attempt, Retry&& retry) {
    auto result = attempt();
    if (result) return true;
    if (!first_.error) first_ = Outcome{name, result.error()};
    auto again = retry();
    EXPECT_TRUE(again) << name << " failed again after " << result.error().to_string() << ": "
                       << again.error().to_string();
    return static_cast<bool>(again);
  }

  Result<void> publish(std::optional<vulkan::Sender>& sender) {
    channel::SenderOptions options;
    options.runtime_dir = dir_;
    options.slots = 2;
    auto published = vulkan::Sender::publish(sender_device_, "fault", desc_, options);
    if (!published) return tl::unexpected(published.error());
    sender.emplace(std::move(published).value());
    return {};
  }

  Result<void> connect(vulkan::Sender& sender, std::optional<vulkan::Receiver>& receiver) {
    channel::ReceiverOptions options;
    options.runtime_dir = dir_;
    std::optional<Result<vulkan::Receiver>> connected;
    std::thread thread(
        [&] { connected = vulkan::Receiver::connect(receiver_device_, "fault", 2s, options); });
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!connected && std::chrono::steady_clock::now() < deadline) (void)sender.poll(5ms);
    thread.join();
    if (!*connected) return tl::unexpected(connected->error());
    receiver.emplace(std::move(*connected).value());
    return {};
  }

  // Frame F of the sender carries pattern F, so the receiver can check any frame it gets.
  Result<void> present(vulkan::Sender& sender) {
    auto frame = sender.acquire(1s);
    if (!frame) return tl::unexpected(frame.error());
    if (auto written = vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame));
        !written) {
      sender.cancel(*frame);
      return written;
    }
    if (auto presented = sender.present(*frame); !presented) return presented;
    newest_ = frame->frame;
    return {};
  }

  // A receiver that lost its connection gets the frames presented after it reconnected:
  // reconnect it (acquire() does, the sender answering meanwhile), then present and acquire.
  Result<void> present_and_acquire(vulkan::Sender& sender, vulkan::Receiver& receiver) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (receiver.state() != channel::ReceiverState::Connected) {
      auto frame = receiver.acquire(0ms);
      if (frame) {
        if (auto checked = check(*frame, receiver); !checked) return checked;
      } else if (std::chrono::steady_clock::now() > deadline) {
        return tl::unexpected(frame.error());
      }
      (void)sender.poll(5ms);
    }
    if (auto presented = present(sender); !presented) return presented;
    return acquire_newest(sender, receiver);
  }

  // Acquires until the newest frame presented arrives, polling the sender meanwhile (for a
  // receiver that reconnects), and checks every frame it gets.
  Result<void> acquire_newest(vulkan::Sender& sender, vulkan::Receiver& receiver) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    for (;;) {
      auto frame = receiver.acquire(0ms);
      if (frame) {
        if (auto checked = check(*frame, receiver); !checked) return checked;
        if (frame->frame == newest_) return {};
        continue;
      }
      const ErrorCode code = frame.error().code();
      const bool waiting = code == ErrorCode::Timeout || code == ErrorCode::Disconnected;
      if (!waiting || std::chrono::steady_clock::now() > deadline) {
        return tl::unexpected(frame.error());
      }
      (void)sender.poll(5ms);
    }
  }

  Result<void> check(const vulkan::ReceivedFrame& frame, vulkan::Receiver& receiver) {
    auto bytes = vulkan::readback(*frame.texture);
    if (!bytes) return tl::unexpected(bytes.error());
    const TextureDescriptor& got = frame.texture->descriptor();
    const auto mismatch = check_test_pattern(*bytes, got.width, got.height, 4, frame.frame);
    EXPECT_FALSE(mismatch) << "frame " << frame.frame
                           << " acquired with wrong pixels: " << mismatch->to_string();
    return receiver.release();
  }

  const vulkan::Device& sender_device_;
  const vulkan::Device& receiver_device_;
  std::filesystem::path dir_;
  TextureDescriptor desc_{.width = 16, .height = 8};
  std::uint64_t newest_ = 0;
  Outcome first_;
};

TEST_F(FaultInjection, EveryCallOfPublishConnectPresentAcquireFailsOnceCleanly) {
  fail_each_call([&] { return ChannelRun(device(0), device(1), dir_).run(); });
}

// --- who submits: the access protocol's calls counted through the layer ---

// How many vkQueueSubmit2 calls `body` makes (the layer's log of a recording run).
template <typename Body>
int submits_during(Body&& body) {
  layer().record();
  body();
  layer().end();
  int count = 0;
  for (const FaultCall& call : layer().log()) count += call.name == "vkQueueSubmit2" ? 1 : 0;
  return count;
}

class Submissions : public FaultInjection {
 protected:
  void SetUp() override {
    FaultInjection::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    channel::SenderOptions sender_options;
    sender_options.runtime_dir = dir_;
    sender_options.slots = 3;  // a ring that need not grow; frames 4 on reuse slots
    auto sender = vulkan::Sender::publish(device(0), "submissions", desc_, sender_options);
    ASSERT_TRUE(sender) << sender.error().to_string();
    sender_.emplace(std::move(sender).value());
    channel::ReceiverOptions options;
    options.runtime_dir = dir_;
    std::optional<Result<vulkan::Receiver>> connected;
    std::thread thread(
        [&] { connected = vulkan::Receiver::connect(device(1), "submissions", 2s, options); });
    while (!connected) (void)sender_->poll(5ms);
    thread.join();
    ASSERT_TRUE(*connected) << connected->error().to_string();
    receiver_.emplace(std::move(*connected).value());
    // A first frame, uncounted: a new ring or generation costs work of its own.
    ASSERT_NO_FATAL_FAILURE(present());
    ASSERT_TRUE(receiver_->acquire(2s));
    ASSERT_TRUE(receiver_->release());
  }
  void TearDown() override {
    receiver_.reset();
    sender_.reset();
    FaultInjection::TearDown();
  }

  void present() {
    auto frame = sender_->acquire(2s);
    ASSERT_TRUE(frame) << frame.error().to_string();
    ASSERT_TRUE(vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame)));
    ASSERT_TRUE(sender_->present(*frame));
  }
  bool gpu() const { return receiver_->stats().sync_mode == SyncMode::Gpu; }

  TextureDescriptor desc_{.width = 16, .height = 8};
  std::optional<vulkan::Sender> sender_;
  std::optional<vulkan::Receiver> receiver_;
};

TEST_F(Submissions, AFrameAcquiredForTheApplicationsSubmissionSubmitsNothing) {
  const std::uint64_t validation = vulkan::validation_error_count();
  for (std::uint64_t f = 2; f <= 7; ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    ASSERT_NO_FATAL_FAILURE(present());
    std::optional<Result<vulkan::ReceivedFrame>> frame;
    EXPECT_EQ(submits_during(
                  [&] { frame = receiver_->acquire(2s, channel::ReadSubmission::Application); }),
              0);
    ASSERT_TRUE(*frame) << frame->error().to_string();
    ASSERT_EQ((*frame)->frame, f);
    auto begin = receiver_->begin_access();
    auto end = receiver_->end_access();
    ASSERT_TRUE(begin && end);
    EXPECT_FALSE(receiver_->end_access()) << "the release signal is handed out once";
    EXPECT_EQ(begin->barrier.srcQueueFamilyIndex, VK_QUEUE_FAMILY_EXTERNAL);
    EXPECT_EQ(begin->barrier.dstQueueFamilyIndex, device(1).queue_family_index());
    EXPECT_EQ(begin->barrier.image, (*frame)->texture->image());
    EXPECT_EQ(end->barrier.dstQueueFamilyIndex, VK_QUEUE_FAMILY_EXTERNAL);
    EXPECT_EQ(begin->semaphore.has_value(), gpu());
    EXPECT_EQ(end->semaphore.has_value(), gpu());
    // The application's one submission: the wait, its copy and the release signal.
    std::vector<VkSemaphoreSubmitInfo> waits;
    std::vector<VkSemaphoreSubmitInfo> signals;
    if (begin->semaphore) waits.push_back(*begin->semaphore);
    if (end->semaphore) signals.push_back(*end->semaphore);
    std::optional<Result<std::vector<std::uint8_t>>> bytes;
    EXPECT_EQ(submits_during([&] { bytes = vulkan::readback(*(*frame)->texture, waits, signals); }),
              1);
    ASSERT_TRUE(*bytes) << bytes->error().to_string();
    EXPECT_FALSE(check_test_pattern(**bytes, desc_.width, desc_.height, 4, f));
    // gpu: the signal was in the application's submission; cpu: one fence submission to
    // wait for the queue before the CPU signal.
    std::optional<Result<void>> released;
    EXPECT_EQ(submits_during([&] { released = receiver_->release(); }), gpu() ? 0 : 1);
    ASSERT_TRUE(*released) << released->error().to_string();
  }
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

TEST_F(Submissions, TheHelperSubmitsTheWaitInAcquireAndTheSignalInRelease) {
  ASSERT_NO_FATAL_FAILURE(present());
  std::optional<Result<vulkan::ReceivedFrame>> frame;
  EXPECT_EQ(submits_during([&] { frame = receiver_->acquire(2s); }), gpu() ? 1 : 0);
  ASSERT_TRUE(*frame) << frame->error().to_string();
  auto begin = receiver_->begin_access();
  ASSERT_TRUE(begin);
  EXPECT_FALSE(begin->semaphore) << "acquire() already submitted the wait";
  auto bytes = vulkan::readback(*(*frame)->texture);
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, (*frame)->frame));
  std::optional<Result<void>> released;
  EXPECT_EQ(submits_during([&] { released = receiver_->release(); }), 1);
  ASSERT_TRUE(*released) << released->error().to_string();
  EXPECT_FALSE(receiver_->begin_access()) << "nothing is held";
  EXPECT_FALSE(receiver_->end_access()) << "nothing is held";
}

TEST_F(Submissions, AFrameNeverBegunGoesBackWithNoSubmissionAndIsRewrittenAtOnce) {
  // Acquired for the application's submission, never begun: not read on the device, so
  // release() submits and waits for nothing, in both modes, and the slot is free at once
  // (eight frames through a three-slot ring, each presented without waiting).
  const std::uint64_t validation = vulkan::validation_error_count();
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE("round " + std::to_string(i));
    auto frame = sender_->acquire(0ms);
    ASSERT_TRUE(frame) << "no free slot: " << frame.error().to_string();
    ASSERT_TRUE(vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame)));
    ASSERT_TRUE(sender_->present(*frame));
    std::optional<Result<vulkan::ReceivedFrame>> got;
    std::optional<Result<void>> released;
    EXPECT_EQ(submits_during([&] {
                got = receiver_->acquire(2s, channel::ReadSubmission::Application);
                released = receiver_->release();
              }),
              0);
    ASSERT_TRUE(*got) << got->error().to_string();
    ASSERT_TRUE(*released) << released->error().to_string();
  }
  // The next frame is read as usual, pixels and all.
  ASSERT_NO_FATAL_FAILURE(present());
  auto frame = receiver_->acquire(2s);
  ASSERT_TRUE(frame) << frame.error().to_string();
  auto bytes = vulkan::readback(*frame->texture);
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, frame->frame));
  EXPECT_FALSE(receiver_->acquire(0ms, channel::ReadSubmission::Unread)) << "not for acquire";
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

TEST_F(Submissions, AnAcquireAfterEndAccessDoesNotSignalTheReleaseTwice) {
  const std::uint64_t validation = vulkan::validation_error_count();
  ASSERT_NO_FATAL_FAILURE(present());
  auto first = receiver_->acquire(2s, channel::ReadSubmission::Application);
  ASSERT_TRUE(first) << first.error().to_string();
  auto begin = receiver_->begin_access();
  auto end = receiver_->end_access();
  ASSERT_TRUE(begin && end);
  std::vector<VkSemaphoreSubmitInfo> waits;
  std::vector<VkSemaphoreSubmitInfo> signals;
  if (begin->semaphore) waits.push_back(*begin->semaphore);
  if (end->semaphore) signals.push_back(*end->semaphore);
  ASSERT_TRUE(vulkan::readback(*first->texture, waits, signals));
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(present());
    auto next = receiver_->acquire(2s);  // releases the frame before, without a signal
    ASSERT_TRUE(next) << next.error().to_string();
    auto bytes = vulkan::readback(*next->texture);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, next->frame));
  }
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

// --- the sender's signals in the application's submission ---

TEST_F(Submissions, APresentWhoseSignalsTheApplicationSubmittedSubmitsNothingInGpuMode) {
  const std::uint64_t validation = vulkan::validation_error_count();
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE("round " + std::to_string(i));
    auto frame = sender_->acquire(2s);
    ASSERT_TRUE(frame) << frame.error().to_string();
    auto signals = sender_->present_signals(*frame);
    ASSERT_TRUE(signals) << signals.error().to_string();
    // One per gpu receiver and the sender's progress timeline.
    EXPECT_EQ(signals->size(), gpu() ? 2u : 1u);
    auto again = sender_->present_signals(*frame);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->data(), signals->data()) << "the same signals, not new ones";
    // The application's one submission: its writes and the signals.
    ASSERT_TRUE(vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame), {}, *signals));
    std::optional<Result<void>> presented;
    // gpu: nothing left to signal; cpu: one fence submission to drain the queue.
    EXPECT_EQ(submits_during([&] { presented = sender_->present(*frame); }), gpu() ? 0 : 1);
    ASSERT_TRUE(*presented) << presented->error().to_string();
    auto got = receiver_->acquire(2s);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(got->frame, frame->frame);
    auto bytes = vulkan::readback(*got->texture);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, frame->frame));
  }
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

TEST_F(Submissions, AReceiverThatConnectsAfterTheHandOverIsSignalledByPresent) {
  const std::uint64_t validation = vulkan::validation_error_count();
  auto frame = sender_->acquire(2s);
  ASSERT_TRUE(frame) << frame.error().to_string();
  auto signals = sender_->present_signals(*frame);
  ASSERT_TRUE(signals) << signals.error().to_string();
  const std::vector<VkSemaphoreSubmitInfo> handed(signals->begin(), signals->end());
  // A second receiver connects between the hand-over and the present.
  channel::ReceiverOptions options;
  options.runtime_dir = dir_;
  std::optional<Result<vulkan::Receiver>> connected;
  std::thread thread(
      [&] { connected = vulkan::Receiver::connect(device(1), "submissions", 2s, options); });
  while (!connected) (void)sender_->poll(5ms);
  thread.join();
  ASSERT_TRUE(*connected) << connected->error().to_string();
  vulkan::Receiver late = std::move(*connected).value();
  ASSERT_TRUE(vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame), {}, handed));
  std::optional<Result<void>> presented;
  // gpu: one submission, the new receiver's signal; cpu: the drain.
  EXPECT_EQ(submits_during([&] { presented = sender_->present(*frame); }), 1);
  ASSERT_TRUE(*presented) << presented->error().to_string();
  for (vulkan::Receiver* receiver : {&*receiver_, &late}) {
    auto got = receiver->acquire(2s);
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_EQ(got->frame, frame->frame);
    auto bytes = vulkan::readback(*got->texture);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, frame->frame));
  }
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

TEST_F(Submissions, ACancelledHandOverSpendsItsFrameNumberAndAStaleFrameIsValidation) {
  const std::uint64_t validation = vulkan::validation_error_count();
  auto frame = sender_->acquire(2s);
  ASSERT_TRUE(frame) << frame.error().to_string();
  auto signals = sender_->present_signals(*frame);
  ASSERT_TRUE(signals) << signals.error().to_string();
  // Submitted, then the frame is given up: its timeline values are spent.
  ASSERT_TRUE(vulkan::upload(*frame->texture, pattern_bytes(desc_, frame->frame), {}, *signals));
  sender_->cancel(*frame);
  EXPECT_TRUE(FailsWith(sender_->present_signals(*frame), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(sender_->present(*frame), ErrorCode::Validation));
  auto next = sender_->acquire(2s);
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(next->frame, frame->frame + 1) << "a handed-over frame number is not used again";
  auto next_signals = sender_->present_signals(*next);
  ASSERT_TRUE(next_signals) << next_signals.error().to_string();
  ASSERT_TRUE(vulkan::upload(*next->texture, pattern_bytes(desc_, next->frame), {}, *next_signals));
  ASSERT_TRUE(sender_->present(*next));
  EXPECT_TRUE(FailsWith(sender_->present_signals(*next), ErrorCode::Validation))
      << "presented already";
  auto got = receiver_->acquire(2s);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->frame, next->frame);
  auto bytes = vulkan::readback(*got->texture);
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  EXPECT_FALSE(check_test_pattern(*bytes, desc_.width, desc_.height, 4, next->frame));
  // A frame acquired without a hand-over and cancelled keeps its number.
  auto plain = sender_->acquire(2s);
  ASSERT_TRUE(plain) << plain.error().to_string();
  sender_->cancel(*plain);
  auto same = sender_->acquire(2s);
  ASSERT_TRUE(same) << same.error().to_string();
  EXPECT_EQ(same->frame, plain->frame);
  sender_->cancel(*same);
  EXPECT_EQ(vulkan::validation_error_count(), validation);
}

}  // namespace
}  // namespace geyser::test
