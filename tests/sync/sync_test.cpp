// Synchronization in one process (label sync): the CPU timeline, the choice of the sync mode,
// shared semaphores, and TextureSync between two devices (each with its own VkInstance) in
// both modes: a producer on device A streams frames 1..200 of the test pattern through a ring
// of two shared textures to a consumer on device B, which checks every pixel of every frame.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "geyser/cpu_timeline.hpp"
#include "geyser/sync.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/semaphore.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/vulkan/texture_sync.hpp"
#include "support/process_stats.hpp"
#include "support/vulkan_fixture.hpp"
#include "sync/sync_support.hpp"
// Internal: the opaque-fd semaphore service, whose fd check is tested directly (it needs no
// device, so it runs where semaphores cannot be shared).
#include "../../src/vulkan/external_semaphore/service.hpp"

namespace geyser::test {
namespace {

using namespace std::chrono_literals;
using vulkan::AccessDesc;
using vulkan::AccessScope;
using vulkan::TextureSync;
using vulkan::VulkanSharedTexture;
using vulkan::VulkanTextureShareManager;

// ---------------------------------------------------------------------------------------
// CpuTimeline

// A sealed memfd page as CpuTimeline makes them, but with our own contents and size.
UniqueFd sealed_memfd(std::size_t size, bool seal = true) {
  UniqueFd fd(memfd_create("sync-test", MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0u)));
  if (!fd) return fd;
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return UniqueFd();
  if (seal && fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return UniqueFd();
  }
  return fd;
}

TEST(CpuTimelineTest, StartsAtItsInitialValueAndSignalRaisesIt) {
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(Succeeds(timeline));
  EXPECT_EQ(timeline->value(), 0u);
  timeline->signal(3);
  EXPECT_EQ(timeline->value(), 3u);
  EXPECT_TRUE(Succeeds(timeline->wait(3, 0ms)));
  EXPECT_TRUE(Succeeds(timeline->wait(1, 0ms))) << "a wait for a value already passed";

  auto from_seven = CpuTimeline::create(7);
  ASSERT_TRUE(Succeeds(from_seven));
  EXPECT_EQ(from_seven->value(), 7u);
  EXPECT_TRUE(Succeeds(from_seven->wait(7, 0ms)));
  EXPECT_TRUE(FailsWith(from_seven->wait(8, 0ms), ErrorCode::Timeout));
}

TEST(CpuTimelineTest, SignalNeverLowersTheValue) {
  auto timeline = CpuTimeline::create(10);
  ASSERT_TRUE(Succeeds(timeline));
  timeline->signal(5);
  EXPECT_EQ(timeline->value(), 10u);
  timeline->signal(10);
  EXPECT_EQ(timeline->value(), 10u);
  timeline->signal(11);
  EXPECT_EQ(timeline->value(), 11u);
  timeline->signal(0);
  EXPECT_EQ(timeline->value(), 11u);
  timeline->signal(UINT64_MAX);
  EXPECT_EQ(timeline->value(), UINT64_MAX);
  timeline->signal(12);
  EXPECT_EQ(timeline->value(), UINT64_MAX);
}

TEST(CpuTimelineTest, ConcurrentSignalsKeepTheHighest) {
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(Succeeds(timeline));
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&timeline, t] {
      // Interleaved, in different orders: the counter must end at the highest of them all.
      for (std::uint64_t i = 0; i < 2000; ++i) {
        timeline->signal(t % 2 == 0 ? i * 4 + t : (2000 - i) * 4 + t);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(timeline->value(), 2000u * 4 + 3);
}

TEST(CpuTimelineTest, WaitForAValueNeverSignalledTimesOutAtTheRequestedTime) {
  auto timeline = CpuTimeline::create(4);
  ASSERT_TRUE(Succeeds(timeline));
  for (const auto timeout : {50ms, 300ms}) {
    SCOPED_TRACE(std::to_string(timeout.count()) + " ms");
    auto [result, elapsed] = timed([&] { return timeline->wait(5, timeout); });
    EXPECT_TRUE(TimedOutOnTime(result, elapsed, timeout));
  }
  // Signals below the value wake the waiter, which must go back to sleep for the rest of
  // its time rather than give up early or succeed.
  std::atomic<bool> stop{false};
  std::thread below([&] {
    while (!stop.load()) {
      timeline->signal(4);
      std::this_thread::sleep_for(5ms);
    }
  });
  auto [result, elapsed] = timed([&] { return timeline->wait(5, 300ms); });
  stop = true;
  below.join();
  EXPECT_TRUE(TimedOutOnTime(result, elapsed, 300ms)) << "with signals below the value meanwhile";
}

TEST(CpuTimelineTest, WaitWakesWhenAnotherThreadSignals) {
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(Succeeds(timeline));
  std::vector<std::future<Result<void>>> waiters;
  for (std::uint64_t v = 1; v <= 4; ++v) {
    waiters.push_back(std::async(std::launch::async, [&timeline, v] {
      return timeline->wait(v, std::chrono::duration_cast<std::chrono::nanoseconds>(kWaitTimeout));
    }));
  }
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  timeline->signal(2);
  EXPECT_TRUE(Succeeds(waiters[0].get()));
  EXPECT_TRUE(Succeeds(waiters[1].get()));
  EXPECT_EQ(waiters[2].wait_for(50ms), std::future_status::timeout) << "woke below its value";
  timeline->signal(4);
  EXPECT_TRUE(Succeeds(waiters[2].get()));
  EXPECT_TRUE(Succeeds(waiters[3].get()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTimeoutSlack)
      << "the waiters did not wake when signalled";
}

TEST(CpuTimelineTest, ExportedFdOpensTheSameCounter) {
  const std::size_t baseline = open_fd_count();
  {
    auto timeline = CpuTimeline::create(1);
    ASSERT_TRUE(Succeeds(timeline));
    auto fd = timeline->export_handle();
    ASSERT_TRUE(Succeeds(fd));
    EXPECT_NE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0) << "exported fds must be close-on-exec";
    auto other = CpuTimeline::open(std::move(*fd));
    ASSERT_TRUE(Succeeds(other));
    EXPECT_EQ(other->value(), 1u);

    timeline->signal(5);
    EXPECT_EQ(other->value(), 5u);
    other->signal(9);
    EXPECT_EQ(timeline->value(), 9u);

    // A waiter on one mapping is woken by a signal through the other.
    auto waiter = std::async(std::launch::async, [&other] {
      return other->wait(12, std::chrono::duration_cast<std::chrono::nanoseconds>(kWaitTimeout));
    });
    std::this_thread::sleep_for(20ms);
    timeline->signal(12);
    EXPECT_TRUE(Succeeds(waiter.get()));

    // The counter outlives the timeline that made it while another holds it.
    CpuTimeline moved = std::move(*timeline);
    timeline = CpuTimeline::create();
    ASSERT_TRUE(Succeeds(timeline));
    { CpuTimeline gone = std::move(moved); }
    other->signal(13);
    EXPECT_EQ(other->value(), 13u);
  }
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

TEST(CpuTimelineTest, OpenRejectsWhatIsNotASealedTimelinePage) {
  const std::size_t baseline = open_fd_count();
  struct Case {
    const char* name;
    UniqueFd fd;
  };
  std::vector<Case> cases;
  cases.push_back({"an empty fd", UniqueFd()});
  cases.push_back({"/dev/null", UniqueFd(open("/dev/null", O_RDWR | O_CLOEXEC))});
  int pipe_ends[2] = {-1, -1};
  ASSERT_EQ(pipe2(pipe_ends, O_CLOEXEC), 0);
  UniqueFd pipe_write(pipe_ends[1]);
  cases.push_back({"a pipe", UniqueFd(pipe_ends[0])});
  cases.push_back({"a regular file", UniqueFd(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600))});
  if (cases.back().fd) {
    ASSERT_EQ(ftruncate(cases.back().fd.get(), 4096), 0);
  }
  cases.push_back({"an unsealed memfd of the right size", sealed_memfd(4096, false)});
  cases.push_back({"a sealed memfd that is too small", sealed_memfd(64)});
  cases.push_back({"a sealed memfd that is too large", sealed_memfd(8192)});
  cases.push_back({"a sealed page of zeros (no timeline in it)", sealed_memfd(4096)});
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (std::string(c.name) != "an empty fd") {
      ASSERT_TRUE(c.fd.valid()) << "could not make it";
    }
    EXPECT_TRUE(FailsWith(CpuTimeline::open(std::move(c.fd)), ErrorCode::Validation));
  }
  pipe_write.reset();
  // open consumes its fd on failure too.
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

// ---------------------------------------------------------------------------------------
// Sync mode names and choose_sync_mode

// Sets or unsets an environment variable for a scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_ ? old_->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  void set(const char* value) {
    if (value != nullptr) {
      setenv(name_.c_str(), value, 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

TEST(SyncModeTest, NamesRoundTrip) {
  EXPECT_EQ(to_string(SyncMode::Gpu), "gpu");
  EXPECT_EQ(to_string(SyncMode::Cpu), "cpu");
  EXPECT_EQ(parse_sync_mode("gpu"), SyncMode::Gpu);
  EXPECT_EQ(parse_sync_mode("cpu"), SyncMode::Cpu);
  EXPECT_EQ(parse_sync_mode("GPU"), SyncMode::Gpu);
  EXPECT_EQ(parse_sync_mode("Cpu"), SyncMode::Cpu);
  for (const char* bad : {"", "auto", "gpu ", "vulkan", "cpu2", "1"}) {
    EXPECT_EQ(parse_sync_mode(bad), std::nullopt) << '"' << bad << '"';
  }
}

// Every case starts with GEYSER_SYNC unset, whatever the environment of the run says, and
// puts the environment back afterwards.
class ChooseSyncModeTest : public testing::Test {
 protected:
  ScopedEnv env_{"GEYSER_SYNC", nullptr};
  static constexpr SyncCapabilities kFull{true, true};
  static constexpr SyncCapabilities kNone{false, false};
};

TEST_F(ChooseSyncModeTest, GpuOnlyWhenTheProducerExportsAndImportsAndTheConsumerImports) {
  for (const char* env : {static_cast<const char*>(nullptr), "", "auto"}) {
    SCOPED_TRACE(env == nullptr ? "GEYSER_SYNC unset" : std::string("GEYSER_SYNC=") + env);
    env_.set(env);
    for (int bits = 0; bits < 16; ++bits) {
      const SyncCapabilities producer{(bits & 1) != 0, (bits & 2) != 0};
      const SyncCapabilities consumer{(bits & 4) != 0, (bits & 8) != 0};
      const SyncMode expected =
          producer.timeline_export && producer.timeline_import && consumer.timeline_import
              ? SyncMode::Gpu
              : SyncMode::Cpu;
      auto mode = choose_sync_mode(producer, consumer);
      ASSERT_TRUE(Succeeds(mode));
      EXPECT_EQ(*mode, expected) << "producer export " << producer.timeline_export << " import "
                                 << producer.timeline_import << ", consumer export "
                                 << consumer.timeline_export << " import "
                                 << consumer.timeline_import;
    }
  }
}

TEST_F(ChooseSyncModeTest, CpuForcesCpu) {
  env_.set("cpu");
  for (const auto& [producer, consumer] :
       {std::pair{kFull, kFull}, std::pair{kNone, kNone}, std::pair{kFull, kNone}}) {
    auto mode = choose_sync_mode(producer, consumer);
    ASSERT_TRUE(Succeeds(mode));
    EXPECT_EQ(*mode, SyncMode::Cpu);
  }
}

TEST_F(ChooseSyncModeTest, GpuForcedNeedsBothSides) {
  env_.set("gpu");
  auto both = choose_sync_mode(kFull, kFull);
  ASSERT_TRUE(Succeeds(both));
  EXPECT_EQ(*both, SyncMode::Gpu);

  auto producer_lacks = choose_sync_mode(SyncCapabilities{true, false}, kFull);
  ASSERT_TRUE(FailsWith(producer_lacks, ErrorCode::Unsupported));
  EXPECT_NE(producer_lacks.error().message().find("producer"), std::string::npos)
      << producer_lacks.error().to_string();

  auto consumer_lacks = choose_sync_mode(kFull, SyncCapabilities{true, false});
  ASSERT_TRUE(FailsWith(consumer_lacks, ErrorCode::Unsupported));
  EXPECT_NE(consumer_lacks.error().message().find("consumer"), std::string::npos)
      << consumer_lacks.error().to_string();

  EXPECT_TRUE(FailsWith(choose_sync_mode(kNone, kNone), ErrorCode::Unsupported));
}

TEST_F(ChooseSyncModeTest, AnyOtherValueIsValidation) {
  for (const char* bogus : {"bogus", "gpu ", "1", "vulkan", "cpu,gpu"}) {
    SCOPED_TRACE(bogus);
    env_.set(bogus);
    auto mode = choose_sync_mode(kFull, kFull);
    ASSERT_TRUE(FailsWith(mode, ErrorCode::Validation));
    EXPECT_NE(mode.error().message().find("GEYSER_SYNC"), std::string::npos)
        << mode.error().to_string();
  }
}

TEST(ScopedEnvTest, RestoresTheEnvironment) {
  const char* before = std::getenv("GEYSER_SYNC");
  const std::optional<std::string> saved =
      before ? std::optional<std::string>(before) : std::nullopt;
  {
    ScopedEnv env("GEYSER_SYNC", "bogus");
    EXPECT_STREQ(std::getenv("GEYSER_SYNC"), "bogus");
  }
  const char* after = std::getenv("GEYSER_SYNC");
  EXPECT_EQ(after ? std::optional<std::string>(after) : std::nullopt, saved);
}

// ---------------------------------------------------------------------------------------
// Shared semaphores

[[nodiscard]] bool can_share_timelines(const VulkanTextureShareManager& from,
                                       const VulkanTextureShareManager& to) {
  const SyncCapabilities a = from.sync_capabilities();
  const SyncCapabilities b = to.sync_capabilities();
  return a.timeline_export && a.timeline_import && b.timeline_import;
}

std::string describe_caps(const VulkanTextureShareManager& manager) {
  const SyncCapabilities caps = manager.sync_capabilities();
  return manager.device().name() + " (timeline export " + (caps.timeline_export ? "yes" : "no") +
         ", import " + (caps.timeline_import ? "yes" : "no") + ", VK_KHR_external_semaphore_fd " +
         (manager.device().has_semaphore_fd() ? "yes" : "no") + ")";
}

using SharedSemaphoreTest = TwoDeviceTest;

TEST_F(SharedSemaphoreTest, CapabilitiesAgreeWithTheQuery) {
  for (int i = 0; i < 2; ++i) {
    const vulkan::SemaphoreCapability timeline =
        manager(i).query_semaphore(SemaphoreType::Timeline);
    EXPECT_EQ(timeline.type, SemaphoreType::Timeline);
    const SyncCapabilities caps = manager(i).sync_capabilities();
    EXPECT_EQ(caps.timeline_export, timeline.exportable);
    EXPECT_EQ(caps.timeline_import, timeline.importable);
    if (!device(i).has_semaphore_fd()) {
      EXPECT_FALSE(timeline.exportable || timeline.importable)
          << "shareable semaphores without VK_KHR_external_semaphore_fd";
    }
    const char* validation = std::getenv("GEYSER_VALIDATION");
    if (validation != nullptr && std::string(validation) == "1") {
      EXPECT_TRUE(device(i).validation_enabled()) << "GEYSER_VALIDATION=1 but no validation layer";
    }
    std::printf("device %d: %s, validation %s\n", i, describe_caps(manager(i)).c_str(),
                device(i).validation_enabled() ? "on" : "off");
  }
}

TEST_F(SharedSemaphoreTest, CreateIsUnsupportedWhereSemaphoresCannotBeExported) {
  bool any = false;
  for (const SemaphoreType type : {SemaphoreType::Timeline, SemaphoreType::Binary}) {
    if (manager(0).query_semaphore(type).exportable) continue;
    any = true;
    SCOPED_TRACE(std::string(to_string(type)));
    const std::size_t baseline = open_fd_count();
    EXPECT_TRUE(FailsWith(manager(0).create_shared_semaphore(type), ErrorCode::Unsupported));
    EXPECT_TRUE(FailsWith(manager(0).create_vk_semaphore(type), ErrorCode::Unsupported));
    EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
  }
  if (!any) {
    GTEST_SKIP() << describe_caps(manager(0))
                 << " exports both semaphore types; TimelineCrossesDevices tests them";
  }
  if (!manager(0).sync_capabilities().timeline_export) {
    auto vk_texture = manager(0).create(rgba8(16, 16));
    ASSERT_TRUE(Succeeds(vk_texture));
    EXPECT_TRUE(FailsWith(TextureSync::create_producer(manager(0), **vk_texture, SyncMode::Gpu),
                          ErrorCode::Unsupported))
        << "a gpu-mode producer where timelines cannot be exported";
  }
}

// Signals `value` on `semaphore` from the host (vkSignalSemaphore), or from its device's queue
// (an empty vkQueueSubmit2 that only signals, waited for with a fence), the way Geyser's gpu
// mode signals.
Result<void> signal_timeline(const vulkan::VulkanSharedSemaphore& semaphore, std::uint64_t value,
                             bool from_host) {
  if (from_host) return semaphore.signal(value);
  const vulkan::Device& device = semaphore.device();
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  if (VkResult r = vkCreateFence(device.device(), &fence_info, nullptr, &fence); r != VK_SUCCESS) {
    return tl::unexpected(vulkan::vk_error(r, "vkCreateFence"));
  }
  VkSemaphoreSubmitInfo signal{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  signal.semaphore = semaphore.semaphore();
  signal.value = value;
  signal.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.signalSemaphoreInfoCount = 1;
  submit.pSignalSemaphoreInfos = &signal;
  VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, fence);
  if (r == VK_SUCCESS) r = vkWaitForFences(device.device(), 1, &fence, VK_TRUE, 20'000'000'000ull);
  vkDestroyFence(device.device(), fence, nullptr);
  if (r != VK_SUCCESS) return tl::unexpected(vulkan::vk_error(r, "vkQueueSubmit2(signal only)"));
  return {};
}

// A timeline exported by `a`'s device and imported on `b`'s: a signal on one side is what the
// other side waits for, both ways; a wait for a value nobody signals times out on time.
void ExchangeOverASharedTimeline(VulkanTextureShareManager& a_manager,
                                 VulkanTextureShareManager& b_manager, bool from_host) {
  // Warm up: the driver may open files of its own on first use.
  {
    auto warm = a_manager.create_vk_semaphore(SemaphoreType::Timeline);
    ASSERT_TRUE(Succeeds(warm));
    auto handle = a_manager.export_semaphore(**warm);
    ASSERT_TRUE(Succeeds(handle));
    ASSERT_TRUE(Succeeds(b_manager.import_vk_semaphore(*handle)));
  }
  const std::size_t baseline = open_fd_count();
  {
    auto created = a_manager.create_shared_semaphore(SemaphoreType::Timeline);
    ASSERT_TRUE(Succeeds(created));
    const vulkan::VulkanSharedSemaphore* a = vulkan::as_vulkan(created->get());
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->imported());
    EXPECT_EQ(a->type(), SemaphoreType::Timeline);

    auto handle = a_manager.export_semaphore(**created);
    ASSERT_TRUE(Succeeds(handle));
    EXPECT_EQ(handle->type, SemaphoreType::Timeline);
    EXPECT_EQ(handle->identity, a_manager.identity());
    EXPECT_NE(fcntl(handle->os_handle.get(), F_GETFD) & FD_CLOEXEC, 0);

    auto imported = b_manager.import_semaphore(*handle);
    ASSERT_TRUE(Succeeds(imported));
    EXPECT_TRUE(handle->os_handle.valid()) << "import must not consume the handle";
    const vulkan::VulkanSharedSemaphore* b = vulkan::as_vulkan(imported->get());
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->imported());
    EXPECT_EQ(b->type(), SemaphoreType::Timeline);
    EXPECT_EQ(&b->device(), &b_manager.device());
    ASSERT_TRUE(Succeeds(b->value()));
    EXPECT_EQ(*b->value(), 0u);

    // Signal on A while B waits for it.
    auto waiter = std::async(std::launch::async, [b] { return b->wait(5, 20'000'000'000ull); });
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(Succeeds(signal_timeline(*a, 5, from_host)));
    EXPECT_TRUE(Succeeds(waiter.get()));
    ASSERT_TRUE(Succeeds(b->value()));
    EXPECT_EQ(*b->value(), 5u);

    // A value nobody signals: Timeout at the requested time.
    auto [late, elapsed] = timed([b] { return b->wait(6, 300'000'000ull); });
    EXPECT_TRUE(TimedOutOnTime(late, elapsed, 300ms));

    // And the other way: a signal on the importer, seen by the exporter.
    ASSERT_TRUE(Succeeds(signal_timeline(*b, 9, from_host)));
    EXPECT_TRUE(Succeeds(a->wait(9, 20'000'000'000ull)));
    ASSERT_TRUE(Succeeds(a->value()));
    EXPECT_EQ(*a->value(), 9u);

    // A timeline never goes back: refused before Vulkan sees it.
    EXPECT_TRUE(FailsWith(a->signal(3), ErrorCode::Validation));
    EXPECT_TRUE(FailsWith(b->signal(9), ErrorCode::Validation));

    // A semaphore of device B is not device A's to export.
    EXPECT_TRUE(FailsWith(a_manager.export_semaphore(**imported), ErrorCode::Validation));
  }
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

TEST_F(SharedSemaphoreTest, TimelineCrossesDevices) {
  if (!can_share_timelines(manager(0), manager(1))) {
    GTEST_SKIP() << "timeline semaphores cannot be shared here: " << describe_caps(manager(0));
  }
  // Signalled from the queues, as gpu mode does. (Host signals: the next test.)
  ExchangeOverASharedTimeline(manager(0), manager(1), /*from_host=*/false);
}

TEST_F(SharedSemaphoreTest, HostSignalCrossesDevices) {
  if (!can_share_timelines(manager(0), manager(1))) {
    GTEST_SKIP() << "timeline semaphores cannot be shared here: " << describe_caps(manager(0));
  }
  // Two devices of our own without the validation layer: VK_LAYER_KHRONOS_validation 1.3.239
  // reports VUID-VkSemaphoreSignalInfo-value-03259 ("value must be less than value of any
  // pending signal operation (<current value>)") for every vkSignalSemaphore on a semaphore
  // that was exported or imported, even with no signal pending: a false positive (the same
  // call on a semaphore never exported passes). Seen on the H100 with driver 580.159.04.
  vulkan::HeadlessOptions options;
  options.validation = false;
  auto a = vulkan::Device::create_headless(options);
  ASSERT_TRUE(Succeeds(a));
  auto b = vulkan::Device::create_headless(options);
  ASSERT_TRUE(Succeeds(b));
  {
    VulkanTextureShareManager a_manager(*a);
    VulkanTextureShareManager b_manager(*b);
    if (!can_share_timelines(a_manager, b_manager)) {
      GTEST_SKIP() << "devices without validation chose " << describe_caps(a_manager);
    }
    ExchangeOverASharedTimeline(a_manager, b_manager, /*from_host=*/true);
  }
}

TEST_F(SharedSemaphoreTest, ImportOfAnotherDevicesHandleIsDeviceMismatch) {
  SemaphoreShareHandle handle;
  std::unique_ptr<SharedSemaphore> exported;
  if (can_share_timelines(manager(0), manager(1))) {
    auto created = manager(0).create_shared_semaphore(SemaphoreType::Timeline);
    ASSERT_TRUE(Succeeds(created));
    auto real = manager(0).export_semaphore(**created);
    ASSERT_TRUE(Succeeds(real));
    handle = std::move(*real);
    exported = std::move(*created);
  } else {
    // No exportable semaphores here: any fd will do, the identity check comes first and must
    // not touch it.
    handle.os_handle = sealed_memfd(4096);
    ASSERT_TRUE(handle.os_handle.valid());
    handle.type = SemaphoreType::Timeline;
    handle.identity = manager(0).identity();
  }
  ASSERT_TRUE(manager(1).identity().known());
  ASSERT_TRUE(handle.identity.compatible_with(manager(1).identity()))
      << "two devices of one machine should share an identity here";
  const std::size_t baseline = open_fd_count();

  struct Case {
    const char* name;
    void (*corrupt)(DeviceIdentity&);
  };
  const Case cases[] = {
      {"another device UUID", [](DeviceIdentity& id) { id.device_uuid[15] ^= 0x5a; }},
      {"another driver UUID", [](DeviceIdentity& id) { id.driver_uuid[0] ^= 0x01; }},
      {"unknown (zero) identity", [](DeviceIdentity& id) { id = DeviceIdentity{}; }},
      {"zero device UUID only", [](DeviceIdentity& id) { id.device_uuid = Uuid{}; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const SemaphoreType type : {SemaphoreType::Timeline, SemaphoreType::Binary}) {
      auto copy = handle.clone();
      ASSERT_TRUE(Succeeds(copy));
      copy->type = type;
      c.corrupt(copy->identity);
      EXPECT_TRUE(FailsWith(manager(1).import_semaphore(*copy), ErrorCode::DeviceMismatch));
      EXPECT_TRUE(FailsWith(manager(1).import_vk_semaphore(*copy), ErrorCode::DeviceMismatch));
      EXPECT_NE(fcntl(copy->os_handle.get(), F_GETFD), -1) << "the rejected handle lost its fd";
    }
  }
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

// What a sender might hand a gpu-mode receiver instead of a semaphore fd: its cpu-mode
// timelines (memfds), any memfd, a file. Each is refused with Validation, for either type,
// before the device is asked whether it can import semaphores at all (so this runs on
// lavapipe too), and the handle keeps its fd.
TEST_F(SharedSemaphoreTest, ImportOfARegularFileIsValidation) {
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(Succeeds(timeline));
  struct Case {
    const char* name;
    UniqueFd fd;
  };
  std::vector<Case> cases;
  cases.push_back({"a CpuTimeline's memfd", timeline->export_handle().value()});
  cases.push_back({"a sealed memfd", sealed_memfd(4096)});
  cases.push_back({"an unsealed memfd", sealed_memfd(4096, false)});
  cases.push_back({"a regular file", UniqueFd(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600))});
  const std::size_t baseline = open_fd_count();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.fd.valid()) << "could not make it";
    for (const SemaphoreType type : {SemaphoreType::Timeline, SemaphoreType::Binary}) {
      SCOPED_TRACE(std::string(to_string(type)));
      SemaphoreShareHandle handle;
      handle.os_handle = c.fd.duplicate().value();
      handle.type = type;
      handle.identity = manager(0).identity();
      EXPECT_TRUE(FailsWith(manager(1).import_semaphore(handle), ErrorCode::Validation));
      EXPECT_TRUE(FailsWith(manager(1).import_vk_semaphore(handle), ErrorCode::Validation));
      EXPECT_NE(fcntl(handle.os_handle.get(), F_GETFD), -1) << "the rejected handle lost its fd";
    }
  }
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

TEST_F(SharedSemaphoreTest, ImportOfAnUnknownSemaphoreTypeIsValidation) {
  // A value off the end of the enum, as a corrupt or newer peer might describe; the fd is an
  // anonymous inode, which the service's fd check lets through.
  SemaphoreShareHandle handle;
  handle.os_handle = UniqueFd(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(handle.os_handle.valid());
  handle.type = static_cast<SemaphoreType>(7);
  handle.identity = manager(0).identity();
  const std::size_t baseline = open_fd_count();
  EXPECT_TRUE(FailsWith(manager(1).import_semaphore(handle), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(manager(1).import_vk_semaphore(handle), ErrorCode::Validation));
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

TEST(OpaqueFdSemaphoreServiceTest, CheckHandleRefusesRegularFilesButNotDevicesOrAnonInodes) {
  const vulkan::detail::ExternalSemaphoreService& service =
      vulkan::detail::opaque_fd_semaphore_service();
  // Regular files (memfds included) are never semaphore payloads.
  UniqueFd memfd = sealed_memfd(4096);
  ASSERT_TRUE(memfd.valid());
  EXPECT_TRUE(FailsWith(service.check_handle(memfd.get()), ErrorCode::Validation));
  UniqueFd file(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  EXPECT_TRUE(FailsWith(service.check_handle(file.get()), ErrorCode::Validation));
  // Nor are pipes, as before.
  int ends[2] = {-1, -1};
  ASSERT_EQ(pipe2(ends, O_CLOEXEC), 0);
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  EXPECT_TRUE(FailsWith(service.check_handle(read_end.get()), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(service.check_handle(-1), ErrorCode::Validation));
  // Drivers' semaphore fds are anonymous inodes or device files (NVIDIA): those pass, and
  // the driver decides.
  UniqueFd anon(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(anon.valid());
  EXPECT_TRUE(Succeeds(service.check_handle(anon.get())));
  UniqueFd device_file(open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(device_file.valid());
  EXPECT_TRUE(Succeeds(service.check_handle(device_file.get())));
}

// One submission on `device`'s queue that waits for binary `wait` (VK_NULL_HANDLE: none) and
// signals binary `signal` (none), waited for with a fence for up to 20 s.
Result<void> submit_binary(const vulkan::Device& device, VkSemaphore wait, VkSemaphore signal) {
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  if (VkResult r = vkCreateFence(device.device(), &fence_info, nullptr, &fence); r != VK_SUCCESS) {
    return tl::unexpected(vulkan::vk_error(r, "vkCreateFence"));
  }
  // Value 0 on both: binary semaphores ignore it, and a timeline one would be refused for
  // the signal (VUID-VkSubmitInfo2-semaphore-03882: the value must exceed the current one).
  VkSemaphoreSubmitInfo wait_info{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  wait_info.semaphore = wait;
  wait_info.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  VkSemaphoreSubmitInfo signal_info{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  signal_info.semaphore = signal;
  signal_info.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.waitSemaphoreInfoCount = wait != VK_NULL_HANDLE ? 1 : 0;
  submit.pWaitSemaphoreInfos = &wait_info;
  submit.signalSemaphoreInfoCount = signal != VK_NULL_HANDLE ? 1 : 0;
  submit.pSignalSemaphoreInfos = &signal_info;
  VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, fence);
  if (r == VK_SUCCESS) r = vkWaitForFences(device.device(), 1, &fence, VK_TRUE, 20'000'000'000ull);
  vkDestroyFence(device.device(), fence, nullptr);
  if (r != VK_SUCCESS) return tl::unexpected(vulkan::vk_error(r, "vkQueueSubmit2(binary)"));
  return {};
}

// The handle's type is the imported semaphore's type: a binary handle imports as a binary
// VkSemaphore (VkSemaphoreTypeCreateInfo from SemaphoreShareHandle::type; importing a binary
// payload into a timeline semaphore breaks VUID-VkImportSemaphoreFdInfoKHR-handleType-03264).
TEST_F(SharedSemaphoreTest, BinaryHandleImportsAsABinarySemaphore) {
  if (!manager(0).query_semaphore(SemaphoreType::Binary).exportable ||
      !manager(1).query_semaphore(SemaphoreType::Binary).importable) {
    GTEST_SKIP() << "binary semaphores cannot be shared here (" << describe_caps(manager(0))
                 << "); this runs where they can (an NVIDIA GPU)";
  }
  auto created = manager(0).create_shared_semaphore(SemaphoreType::Binary);
  ASSERT_TRUE(Succeeds(created));
  const vulkan::VulkanSharedSemaphore* a = vulkan::as_vulkan(created->get());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type(), SemaphoreType::Binary);
  auto handle = manager(0).export_semaphore(**created);
  ASSERT_TRUE(Succeeds(handle));
  EXPECT_EQ(handle->type, SemaphoreType::Binary);

  auto imported = manager(1).import_semaphore(*handle);
  ASSERT_TRUE(Succeeds(imported));
  const vulkan::VulkanSharedSemaphore* b = vulkan::as_vulkan(imported->get());
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->imported());
  EXPECT_EQ(b->type(), SemaphoreType::Binary);
  // Timeline calls are refused on it before Vulkan sees them.
  EXPECT_TRUE(FailsWith(b->value(), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(b->signal(1), ErrorCode::Validation));

  // Used as a binary semaphore on both devices: A signals, B waits; then B signals and waits
  // itself. With the validation layer on, a timeline semaphore behind `b` would be reported
  // at B's signal of value 0.
  ASSERT_TRUE(Succeeds(submit_binary(device(0), VK_NULL_HANDLE, a->semaphore())));
  ASSERT_TRUE(Succeeds(submit_binary(device(1), b->semaphore(), VK_NULL_HANDLE)));
  ASSERT_TRUE(Succeeds(submit_binary(device(1), VK_NULL_HANDLE, b->semaphore())));
  ASSERT_TRUE(Succeeds(submit_binary(device(1), b->semaphore(), VK_NULL_HANDLE)));
}

// ---------------------------------------------------------------------------------------
// TextureSync between two devices

// A ring of shared textures made on device A and imported on device B, with a producer
// TextureSync per slot on A and the matching consumer on B. Members are destroyed in reverse
// order: the syncs (and their semaphores) before the textures they point at.
struct Ring {
  std::vector<std::unique_ptr<VulkanSharedTexture>> originals;  // on A
  std::vector<std::unique_ptr<VulkanSharedTexture>> imports;    // on B
  std::vector<TextureSync> producers;
  std::vector<TextureSync> consumers;

  [[nodiscard]] std::size_t size() const { return producers.size(); }
  [[nodiscard]] const TextureDescriptor& descriptor() const {
    return originals.front()->descriptor();
  }
};

Result<void> build_ring(Ring& ring, VulkanTextureShareManager& a, VulkanTextureShareManager& b,
                        const TextureDescriptor& desc, SyncMode mode, std::uint32_t slots) {
  for (std::uint32_t i = 0; i < slots; ++i) {
    GEYSER_TRY(auto original, a.create(desc));
    GEYSER_TRY(auto handle, a.export_texture(*original));
    GEYSER_TRY(auto imported, b.import(handle));
    a.release_texture_handle(std::move(handle));
    ring.originals.push_back(std::move(original));
    ring.imports.push_back(std::move(imported));
    GEYSER_TRY(auto producer, TextureSync::create_producer(a, *ring.originals.back(), mode));
    GEYSER_TRY(auto sync_handles, producer.export_handles());
    GEYSER_TRY(auto consumer, TextureSync::create_consumer(b, *ring.imports.back(), sync_handles));
    ring.producers.push_back(std::move(producer));
    ring.consumers.push_back(std::move(consumer));
  }
  return {};
}

struct StreamReport {
  std::uint64_t frames_written = 0;
  std::uint64_t frames_read = 0;
  std::uint64_t frames_correct = 0;
  std::vector<std::string> failures;  // the first few frames that were not what was asked for
  std::optional<Error> producer_error;
  std::optional<Error> consumer_error;
  std::uint64_t max_lead = 0;  // how far the producer got ahead of the consumer's releases
  double seconds = 0;
};

// The producer writes frames 1..frames into slot frame % slots, reusing a slot only after the
// consumer released the frame before it there; the consumer, on its own thread, asks for each
// frame in turn and checks every pixel. Both wait with kWaitTimeout, so a broken side ends
// the stream instead of hanging it.
StreamReport run_stream(Ring& ring, std::uint64_t frames) {
  StreamReport report;
  const TextureDescriptor desc = ring.descriptor();
  const auto slots = static_cast<std::uint64_t>(ring.size());
  std::atomic<std::uint64_t> released{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  const auto start = std::chrono::steady_clock::now();

  std::thread producer([&] {
    const std::uint32_t texel = format_info(desc.format).texel_size;
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(desc.width) * desc.height * texel);
    for (std::uint64_t frame = 1; frame <= frames && !stop.load(); ++frame) {
      fill_test_pattern(bytes, desc.width, desc.height, texel, frame);
      TextureSync& sync = ring.producers[frame % slots];
      const std::uint64_t reuse_after = frame > slots ? frame - slots : 0;
      auto written = sync.write(bytes, frame, reuse_after, kWaitTimeout);
      if (!written) {
        const std::lock_guard lock(mutex);
        report.producer_error = written.error();
        stop = true;
        break;
      }
      report.frames_written = frame;
      const std::uint64_t lead = frame - std::min(frame, released.load());
      report.max_lead = std::max(report.max_lead, lead);
    }
  });
  std::thread consumer([&] {
    for (std::uint64_t frame = 1; frame <= frames && !stop.load(); ++frame) {
      TextureSync& sync = ring.consumers[frame % slots];
      auto data = sync.read(frame, kWaitTimeout);
      if (!data) {
        const std::lock_guard lock(mutex);
        report.consumer_error = data.error();
        stop = true;
        break;
      }
      released = frame;
      report.frames_read = frame;
      if (auto mismatch = frame_mismatch(desc, *data, frame)) {
        const std::lock_guard lock(mutex);
        if (report.failures.size() < 10) report.failures.push_back(*mismatch);
      } else {
        ++report.frames_correct;
      }
    }
  });
  producer.join();
  consumer.join();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

testing::AssertionResult StreamOk(const StreamReport& report, std::uint64_t frames,
                                  std::uint64_t slots) {
  auto failure = testing::AssertionFailure();
  bool ok = true;
  if (report.producer_error) {
    ok = false;
    failure << "producer stopped after frame " << report.frames_written << ": "
            << report.producer_error->to_string() << "\n";
  }
  if (report.consumer_error) {
    ok = false;
    failure << "consumer stopped after frame " << report.frames_read << ": "
            << report.consumer_error->to_string() << "\n";
  }
  if (report.frames_correct != frames) {
    ok = false;
    failure << report.frames_correct << " of " << frames << " frames were correct ("
            << report.frames_written << " written, " << report.frames_read << " read)\n";
  }
  for (const auto& f : report.failures) failure << "  " << f << "\n";
  // write(f) returns only after the consumer released f - slots; the consumer stores its
  // progress just after releasing, so the producer may see one frame less.
  if (report.max_lead > slots + 1) {
    ok = false;
    failure << "the producer got " << report.max_lead << " frames ahead of the consumer with "
            << slots << " slots";
  }
  if (!ok) return failure;
  return testing::AssertionSuccess();
}

struct StreamCase {
  SyncMode mode;
  std::uint32_t width;
  std::uint32_t height;
};

std::string stream_case_name(const testing::TestParamInfo<StreamCase>& info) {
  return mode_name(info.param.mode) + "_" + std::to_string(info.param.width) + "x" +
         std::to_string(info.param.height);
}

// Skips gpu-mode cases where the devices cannot share timeline semaphores.
#define GEYSER_SKIP_UNLESS_MODE_WORKS(mode, a, b)                                           \
  do {                                                                                      \
    if ((mode) == SyncMode::Gpu && !can_share_timelines((a), (b))) {                        \
      GTEST_SKIP() << "gpu sync mode needs exportable and importable timeline semaphores: " \
                   << describe_caps(a) << " -> " << describe_caps(b);                       \
    }                                                                                       \
  } while (false)

class TextureSyncStreamTest : public TwoDeviceTest, public testing::WithParamInterface<StreamCase> {
 protected:
  void SetUp() override {
    TwoDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    GEYSER_SKIP_UNLESS_MODE_WORKS(GetParam().mode, manager(0), manager(1));
  }
};

TEST_P(TextureSyncStreamTest, EveryFrameArrivesWholeAndInOrder) {
  const StreamCase& c = GetParam();
  Ring ring;
  ASSERT_TRUE(Succeeds(
      build_ring(ring, manager(0), manager(1), rgba8(c.width, c.height), c.mode, kRingSlots)));
  for (std::size_t i = 0; i < ring.size(); ++i) {
    EXPECT_EQ(ring.producers[i].mode(), c.mode);
    EXPECT_EQ(ring.producers[i].role(), vulkan::SyncRole::Producer);
    EXPECT_EQ(ring.consumers[i].role(), vulkan::SyncRole::Consumer);
    EXPECT_EQ(&ring.consumers[i].texture(), ring.imports[i].get());
  }
  const StreamReport report = run_stream(ring, kStreamFrames);
  EXPECT_TRUE(StreamOk(report, kStreamFrames, kRingSlots));
  std::printf("%s mode, %ux%u: %llu frames in %.2f s, producer up to %llu frames ahead\n",
              std::string(to_string(c.mode)).c_str(), c.width, c.height,
              static_cast<unsigned long long>(report.frames_correct), report.seconds,
              static_cast<unsigned long long>(report.max_lead));
  // Each side saw the other's last value for every slot.
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const std::uint64_t last = kStreamFrames - (kStreamFrames % kRingSlots == i ? 0 : 1);
    auto released = ring.producers[i].peer_value();
    ASSERT_TRUE(Succeeds(released));
    EXPECT_EQ(*released, last) << "slot " << i;
    auto ready = ring.consumers[i].peer_value();
    ASSERT_TRUE(Succeeds(ready));
    EXPECT_EQ(*ready, last) << "slot " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, TextureSyncStreamTest,
                         testing::Values(StreamCase{SyncMode::Cpu, 256, 256},
                                         StreamCase{SyncMode::Gpu, 256, 256},
                                         StreamCase{SyncMode::Cpu, 1280, 720},
                                         StreamCase{SyncMode::Gpu, 1280, 720}),
                         stream_case_name);

// The mode the two devices negotiate (GEYSER_SYNC may force it), streamed the same way.
using NegotiatedSyncTest = TwoDeviceTest;

TEST_F(NegotiatedSyncTest, NegotiatedModeStreamsEveryFrame) {
  auto mode = choose_sync_mode(manager(0).sync_capabilities(), manager(1).sync_capabilities());
  if (!mode && mode.error().code() == ErrorCode::Unsupported) {
    GTEST_SKIP() << mode.error().to_string();
  }
  ASSERT_TRUE(Succeeds(mode));
  if (can_share_timelines(manager(0), manager(1))) {
    const char* env = std::getenv("GEYSER_SYNC");
    if (env == nullptr || std::string(env).empty() || std::string(env) == "auto") {
      EXPECT_EQ(*mode, SyncMode::Gpu) << "both devices can share timelines";
    }
  } else {
    EXPECT_EQ(*mode, SyncMode::Cpu);
  }
  RecordProperty("mode", std::string(to_string(*mode)));
  Ring ring;
  ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(64, 48), *mode, kRingSlots)));
  EXPECT_TRUE(StreamOk(run_stream(ring, kStreamFrames), kStreamFrames, kRingSlots));
}

class TextureSyncTest : public TwoDeviceTest, public testing::WithParamInterface<SyncMode> {
 protected:
  void SetUp() override {
    TwoDeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    GEYSER_SKIP_UNLESS_MODE_WORKS(GetParam(), manager(0), manager(1));
  }
};

TEST_P(TextureSyncTest, ConsumerWaitingBeforeTheProducerSignalsGetsThatFrame) {
  // The raw access protocol: the consumer puts begin_access(N)'s wait and end_access(N)'s
  // signal into its own submission (a readback here) before the producer has written frame N.
  // In gpu mode the submission waits on the GPU (wait-before-signal); in cpu mode the
  // consumer waits on the CPU first, as the protocol says.
  const SyncMode mode = GetParam();
  Ring ring;
  ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(128, 96), mode, 1)));
  TextureSync& producer = ring.producers[0];
  TextureSync& consumer = ring.consumers[0];
  const TextureDescriptor desc = ring.descriptor();

  // One ordinary frame first, so that both textures are in the shared layout.
  ASSERT_TRUE(Succeeds(producer.write(frame_bytes(desc, 1), 1, 0, kWaitTimeout)));
  auto first = consumer.read(1, kWaitTimeout);
  ASSERT_TRUE(Succeeds(first));
  EXPECT_EQ(frame_mismatch(desc, *first, 1), std::nullopt);

  constexpr std::uint64_t kFrame = 2;
  const AccessDesc read_access{VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_PIPELINE_STAGE_2_COPY_BIT,
                               VK_ACCESS_2_TRANSFER_READ_BIT};
  const AccessScope begin = consumer.begin_access(kFrame, read_access);
  EXPECT_EQ(begin.barrier.srcQueueFamilyIndex, VK_QUEUE_FAMILY_EXTERNAL);
  EXPECT_EQ(begin.barrier.dstQueueFamilyIndex, device(1).queue_family_index());
  EXPECT_EQ(begin.barrier.oldLayout, static_cast<VkImageLayout>(kSharedImageLayout));
  EXPECT_EQ(begin.barrier.newLayout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
  EXPECT_EQ(begin.barrier.image, ring.imports[0]->image());
  const AccessScope end = consumer.end_access(kFrame, read_access);
  EXPECT_EQ(end.barrier.srcQueueFamilyIndex, device(1).queue_family_index());
  EXPECT_EQ(end.barrier.dstQueueFamilyIndex, VK_QUEUE_FAMILY_EXTERNAL);
  EXPECT_EQ(end.barrier.newLayout, static_cast<VkImageLayout>(kSharedImageLayout));
  if (mode == SyncMode::Gpu) {
    ASSERT_TRUE(begin.semaphore.has_value());
    EXPECT_EQ(begin.semaphore->value, kFrame);
    ASSERT_TRUE(end.semaphore.has_value());
    EXPECT_EQ(end.semaphore->value, kFrame);
    EXPECT_NE(begin.semaphore->semaphore, end.semaphore->semaphore);
    EXPECT_FALSE(consumer.begin_access(0, read_access).semaphore.has_value())
        << "a wait for 0 is no wait";
  } else {
    EXPECT_FALSE(begin.semaphore.has_value()) << "cpu mode has no semaphores";
    EXPECT_FALSE(end.semaphore.has_value()) << "cpu mode has no semaphores";
  }

  std::atomic<bool> submitted{false};
  auto reader = std::async(std::launch::async, [&]() -> Result<std::vector<std::uint8_t>> {
    std::vector<VkSemaphoreSubmitInfo> waits;
    std::vector<VkSemaphoreSubmitInfo> signals;
    if (begin.semaphore) waits.push_back(*begin.semaphore);
    if (end.semaphore) signals.push_back(*end.semaphore);
    if (mode == SyncMode::Cpu) GEYSER_TRY_VOID(consumer.wait_for_texture(kFrame, kWaitTimeout));
    submitted = true;
    GEYSER_TRY(auto data, vulkan::readback(*ring.imports[0], waits, signals));
    GEYSER_TRY_VOID(consumer.signal_texture_ready(kFrame));
    return data;
  });

  // Frame 2 is not written yet: whatever the consumer does, it must not have it.
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(reader.wait_for(0s), std::future_status::timeout)
      << "the consumer's read finished before the producer wrote frame " << kFrame;
  if (mode == SyncMode::Gpu) {
    EXPECT_TRUE(submitted.load()) << "the readback was not submitted";
  }
  auto not_yet = producer.peer_value();
  ASSERT_TRUE(Succeeds(not_yet));
  EXPECT_EQ(*not_yet, 1u) << "the consumer released frame 2 before it had it";

  // The producer's side of the raw protocol: wait for the release of frame 1, write, signal.
  const AccessDesc write_access{VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_2_COPY_BIT,
                                VK_ACCESS_2_TRANSFER_WRITE_BIT};
  ASSERT_TRUE(Succeeds(producer.wait_for_texture(1, kWaitTimeout)));
  const AccessScope write_begin = producer.begin_access(1, write_access);
  const AccessScope write_end = producer.end_access(kFrame, write_access);
  EXPECT_EQ(write_begin.semaphore.has_value(), mode == SyncMode::Gpu);
  EXPECT_EQ(write_end.semaphore.has_value(), mode == SyncMode::Gpu);
  std::vector<VkSemaphoreSubmitInfo> waits;
  std::vector<VkSemaphoreSubmitInfo> signals;
  if (write_begin.semaphore) waits.push_back(*write_begin.semaphore);
  if (write_end.semaphore) signals.push_back(*write_end.semaphore);
  ASSERT_TRUE(
      Succeeds(vulkan::upload(*ring.originals[0], frame_bytes(desc, kFrame), waits, signals)));
  ASSERT_TRUE(Succeeds(producer.signal_texture_ready(kFrame)));

  ASSERT_EQ(reader.wait_for(kWaitTimeout), std::future_status::ready)
      << "the consumer never got frame " << kFrame;
  auto data = reader.get();
  ASSERT_TRUE(Succeeds(data));
  EXPECT_EQ(frame_mismatch(desc, *data, kFrame), std::nullopt);
  // The consumer's release reaches the producer.
  EXPECT_TRUE(Succeeds(producer.wait_for_texture(kFrame, kWaitTimeout)));
  auto released = producer.peer_value();
  ASSERT_TRUE(Succeeds(released));
  EXPECT_EQ(*released, kFrame);
}

TEST_P(TextureSyncTest, ReadOfAFrameNeverWrittenTimesOutAtTheRequestedTime) {
  Ring ring;
  ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(32, 32), GetParam(), 1)));
  auto [data, elapsed] = timed([&] { return ring.consumers[0].read(1, 400ms); });
  EXPECT_TRUE(TimedOutOnTime(data, elapsed, 400ms));
  auto [waited, waited_for] = timed([&] { return ring.consumers[0].wait_for_texture(1, 200ms); });
  EXPECT_TRUE(TimedOutOnTime(waited, waited_for, 200ms));
  // The frame comes after all: the consumer still gets it.
  const TextureDescriptor desc = ring.descriptor();
  ASSERT_TRUE(Succeeds(ring.producers[0].write(frame_bytes(desc, 1), 1, 0, kWaitTimeout)));
  auto late = ring.consumers[0].read(1, kWaitTimeout);
  ASSERT_TRUE(Succeeds(late));
  EXPECT_EQ(frame_mismatch(desc, *late, 1), std::nullopt);
}

TEST_P(TextureSyncTest, WriteIntoASlotNeverReleasedTimesOutAtTheRequestedTime) {
  Ring ring;
  ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(32, 32), GetParam(), 1)));
  const TextureDescriptor desc = ring.descriptor();
  ASSERT_TRUE(Succeeds(ring.producers[0].write(frame_bytes(desc, 1), 1, 0, kWaitTimeout)));
  // The consumer never reads frame 1: the producer may not overwrite it.
  auto [written, elapsed] =
      timed([&] { return ring.producers[0].write(frame_bytes(desc, 2), 2, 1, 400ms); });
  EXPECT_TRUE(TimedOutOnTime(written, elapsed, 400ms));
  auto [waited, waited_for] = timed([&] { return ring.producers[0].wait_for_texture(1, 200ms); });
  EXPECT_TRUE(TimedOutOnTime(waited, waited_for, 200ms));
  // Frame 1 is intact: the timed-out write touched nothing.
  auto data = ring.consumers[0].read(1, kWaitTimeout);
  ASSERT_TRUE(Succeeds(data));
  EXPECT_EQ(frame_mismatch(desc, *data, 1), std::nullopt);
  // Once released, the slot takes the next frame.
  ASSERT_TRUE(Succeeds(ring.producers[0].write(frame_bytes(desc, 2), 2, 1, kWaitTimeout)));
  auto next = ring.consumers[0].read(2, kWaitTimeout);
  ASSERT_TRUE(Succeeds(next));
  EXPECT_EQ(frame_mismatch(desc, *next, 2), std::nullopt);
}

TEST_P(TextureSyncTest, EachSideDoesOnlyItsOwnPart) {
  Ring ring;
  ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(16, 16), GetParam(), 1)));
  const TextureDescriptor desc = ring.descriptor();
  EXPECT_TRUE(
      FailsWith(ring.consumers[0].write(frame_bytes(desc, 1), 1, 0, 100ms), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(ring.producers[0].read(1, 100ms), ErrorCode::Validation));
  EXPECT_TRUE(FailsWith(ring.consumers[0].export_handles(), ErrorCode::Validation));
  // A wait for 0 never waits: the texture is fresh.
  auto [zero, elapsed] = timed([&] { return ring.producers[0].wait_for_texture(0, 10s); });
  EXPECT_TRUE(Succeeds(zero));
  EXPECT_LT(elapsed, 1s);
  // A write of the wrong size is refused before anything is signalled.
  EXPECT_TRUE(FailsWith(ring.producers[0].write(std::vector<std::uint8_t>(7), 1, 0, 100ms),
                        ErrorCode::Validation));
  auto ready = ring.consumers[0].peer_value();
  ASSERT_TRUE(Succeeds(ready));
  EXPECT_EQ(*ready, 0u);
}

TEST_P(TextureSyncTest, ConsumerRejectsBadHandlesWithoutTakingThem) {
  const SyncMode mode = GetParam();
  auto original = manager(0).create(rgba8(16, 16));
  ASSERT_TRUE(Succeeds(original));
  auto handle = manager(0).export_texture(**original);
  ASSERT_TRUE(Succeeds(handle));
  auto imported = manager(1).import(*handle);
  ASSERT_TRUE(Succeeds(imported));
  auto producer = TextureSync::create_producer(manager(0), **original, mode);
  ASSERT_TRUE(Succeeds(producer));
  auto good = producer->export_handles();
  ASSERT_TRUE(Succeeds(good));
  EXPECT_EQ(good->mode, mode);
  EXPECT_EQ(good->identity, manager(0).identity());
  EXPECT_NE(good->ready.get(), good->released.get());
  EXPECT_NE(fcntl(good->ready.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(good->released.get(), F_GETFD) & FD_CLOEXEC, 0);
  const std::size_t baseline = open_fd_count();

  auto copy = [&good]() {
    vulkan::SyncShareHandles h;
    h.mode = good->mode;
    h.identity = good->identity;
    h.ready = good->ready.duplicate().value();
    h.released = good->released.duplicate().value();
    return h;
  };
  if (mode == SyncMode::Gpu) {
    vulkan::SyncShareHandles other_device = copy();
    other_device.identity.device_uuid[3] ^= 0x10;
    EXPECT_TRUE(FailsWith(TextureSync::create_consumer(manager(1), **imported, other_device),
                          ErrorCode::DeviceMismatch));
    vulkan::SyncShareHandles unknown = copy();
    unknown.identity = DeviceIdentity{};
    EXPECT_TRUE(FailsWith(TextureSync::create_consumer(manager(1), **imported, unknown),
                          ErrorCode::DeviceMismatch));
  } else {
    vulkan::SyncShareHandles not_a_timeline = copy();
    not_a_timeline.released = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(FailsWith(TextureSync::create_consumer(manager(1), **imported, not_a_timeline),
                          ErrorCode::Validation));
    vulkan::SyncShareHandles wrong_size = copy();
    wrong_size.ready = sealed_memfd(8192);
    EXPECT_TRUE(FailsWith(TextureSync::create_consumer(manager(1), **imported, wrong_size),
                          ErrorCode::Validation));
  }
  {
    vulkan::SyncShareHandles empty = copy();
    empty.ready.reset();
    EXPECT_FALSE(TextureSync::create_consumer(manager(1), **imported, empty).has_value())
        << "a consumer without its ready fd";
  }
  // The good handles still work after all that, and were not consumed.
  {
    auto consumer = TextureSync::create_consumer(manager(1), **imported, *good);
    ASSERT_TRUE(Succeeds(consumer));
    EXPECT_TRUE(good->ready.valid() && good->released.valid());
    ASSERT_TRUE(Succeeds(producer->write(frame_bytes(rgba8(16, 16), 1), 1, 0, kWaitTimeout)));
    auto data = consumer->read(1, kWaitTimeout);
    ASSERT_TRUE(Succeeds(data));
    EXPECT_EQ(frame_mismatch(rgba8(16, 16), *data, 1), std::nullopt);
  }
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

TEST_P(TextureSyncTest, RingReleasesEveryFdItOpened) {
  const SyncMode mode = GetParam();
  const auto cycle = [&](std::uint64_t frames) {
    Ring ring;
    ASSERT_TRUE(Succeeds(build_ring(ring, manager(0), manager(1), rgba8(64, 64), mode, 3)));
    for (std::size_t i = 0; i < ring.size(); ++i) {
      auto extra = ring.producers[i].export_handles();  // dropped at once: closes its fds
      ASSERT_TRUE(Succeeds(extra));
    }
    const StreamReport report = run_stream(ring, frames);
    EXPECT_TRUE(StreamOk(report, frames, ring.size()));
  };
  cycle(6);  // warm-up: drivers open some files on first use
  const std::size_t baseline = open_fd_count();
  cycle(9);
  EXPECT_EQ(open_fd_count(), baseline) << describe_open_fds();
}

INSTANTIATE_TEST_SUITE_P(Modes, TextureSyncTest, testing::Values(SyncMode::Cpu, SyncMode::Gpu),
                         ModeName());

}  // namespace
}  // namespace geyser::test
