// SharedMemory and SharedWake: what a peer given a handle can and cannot do, and a
// wait that another process ends.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fd_count.hpp"
#include "geyser/ipc/shared_memory.hpp"
#include "geyser/shared_wake.hpp"

namespace geyser::ipc::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSize = 4096;

SharedMemory create(SharedAccess access) {
  auto memory = SharedMemory::create("geyser-test", kSize, access);
  EXPECT_TRUE(memory) << memory.error().to_string();
  return std::move(memory).value();
}

UniqueHandle share(const SharedMemory& memory) {
  auto handle = memory.share();
  EXPECT_TRUE(handle) << handle.error().to_string();
  return std::move(handle).value();
}

TEST(SharedMemory, APeerSeesTheCreatorsWrites) {
  SharedMemory mine = create(SharedAccess::CreatorWrites);
  std::memcpy(mine.bytes().data(), "frame", 5);
  auto theirs = SharedMemory::open(share(mine), kSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(theirs) << theirs.error().to_string();
  EXPECT_FALSE(theirs->writable());
  EXPECT_EQ(std::memcmp(theirs->bytes().data(), "frame", 5), 0);
  std::memcpy(mine.bytes().data(), "again", 5);
  EXPECT_EQ(std::memcmp(theirs->bytes().data(), "again", 5), 0);
}

TEST(SharedMemory, APeerCannotWriteACreatorWritesRegionByAnyRoute) {
  SharedMemory mine = create(SharedAccess::CreatorWrites);
  UniqueHandle handle = share(mine);
  // A writable mapping of the fd it was given, write(), a writable reopen through /proc, and
  // upgrading a read-only mapping: all refused.
  EXPECT_EQ(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, handle.get(), 0),
            MAP_FAILED);
  EXPECT_EQ(::pwrite(handle.get(), "x", 1, 0), -1);
  const std::string path = "/proc/self/fd/" + std::to_string(handle.get());
  UniqueHandle reopened(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (reopened) {
    EXPECT_EQ(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, reopened.get(), 0),
              MAP_FAILED);
  }
  void* read_only = ::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, handle.get(), 0);
  ASSERT_NE(read_only, MAP_FAILED);
  EXPECT_NE(::mprotect(read_only, kSize, PROT_READ | PROT_WRITE), 0);
  ::munmap(read_only, kSize);
  auto writable = SharedMemory::open(std::move(handle), kSize, SharedAccess::PeersWrite);
  EXPECT_FALSE(writable) << "mapped writable";
}

TEST(SharedMemory, PeersWriteRegionsAreWrittenByBothSides) {
  SharedMemory mine = create(SharedAccess::PeersWrite);
  auto theirs = SharedMemory::open(share(mine), kSize, SharedAccess::PeersWrite);
  ASSERT_TRUE(theirs) << theirs.error().to_string();
  ASSERT_TRUE(theirs->writable());
  std::memcpy(theirs->bytes().data(), "released", 8);
  EXPECT_EQ(std::memcmp(mine.bytes().data(), "released", 8), 0);
}

TEST(SharedMemory, OpenRefusesWhatIsNotASealedRegionOfTheSize) {
  const std::size_t before = open_fd_count();
  UniqueHandle unsealed(::memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_EQ(::ftruncate(unsealed.get(), kSize), 0);
  auto a = SharedMemory::open(std::move(unsealed), kSize, SharedAccess::PeersWrite);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::Validation);

  SharedMemory size_only = create(SharedAccess::PeersWrite);
  auto b = SharedMemory::open(share(size_only), kSize, SharedAccess::CreatorWrites);
  ASSERT_FALSE(b) << "a region peers may write is no creator-only region";
  EXPECT_EQ(b.error().code(), ErrorCode::Validation);

  SharedMemory mine = create(SharedAccess::CreatorWrites);
  auto c = SharedMemory::open(share(mine), kSize * 2, SharedAccess::CreatorWrites);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::Validation);

  auto d = SharedMemory::open(open_dev_null(), kSize, SharedAccess::CreatorWrites);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), ErrorCode::Validation);
  auto e = SharedMemory::open(UniqueHandle(), kSize, SharedAccess::CreatorWrites);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::Validation);
  EXPECT_EQ(open_fd_count(), before + 2) << "only the two regions created here stay open";
}

// The wake counter at byte 0 of a region, its tag at 16.
std::span<std::byte> counter_of(const SharedMemory& memory) {
  return memory.bytes().subspan(0, 4);
}
std::span<std::byte> tag_of(const SharedMemory& memory) {
  return memory.bytes().subspan(16, kWakeTagSize);
}

TEST(SharedWake, ReturnsAtTheTimeoutAndAtOnceWhenTheCounterDiffers) {
  SharedMemory mine = create(SharedAccess::CreatorWrites);
  auto wake = SharedWake::create(counter_of(mine), tag_of(mine), WakeAccess::CreatorWakes);
  ASSERT_TRUE(wake) << wake.error().to_string();
  wake->wake();
  ASSERT_EQ(wake->count(), 1u);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wake->wait(1, 20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 15ms);
  const auto again = std::chrono::steady_clock::now();
  ASSERT_TRUE(wake->wait(0, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - again, 1s) << "waited although the count differs";
}

TEST(SharedWake, AnotherProcessWakesAWaiterOnAReadOnlyMapping) {
  SharedMemory mine = create(SharedAccess::CreatorWrites);
  auto waker = SharedWake::create(counter_of(mine), tag_of(mine), WakeAccess::CreatorWakes);
  ASSERT_TRUE(waker) << waker.error().to_string();
  auto theirs = SharedMemory::open(share(mine), kSize, SharedAccess::CreatorWrites);
  ASSERT_TRUE(theirs);
  auto waiter = SharedWake::open(counter_of(*theirs), tag_of(*theirs), WakeAccess::CreatorWakes);
  ASSERT_TRUE(waiter) << waiter.error().to_string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The waiter, on its read-only mapping: exit 0 when woken with the new count.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (waiter->count() == 0 && std::chrono::steady_clock::now() < deadline) {
      if (!waiter->wait(0, 1s)) ::_exit(2);
    }
    ::_exit(waiter->count() == 1 ? 0 : 1);
  }
  std::this_thread::sleep_for(50ms);
  waker->wake();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace geyser::ipc::test
