// SharedWake on Windows in one process: CpuTimeline over a section and named events, the
// board's events that a receiver may wait on but not set, the rotation, wake_local.
#include "geyser/shared_wake.hpp"

#include <windows.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/win32_security.hpp"
#include "pipe_test_support.hpp"

namespace geyser {
namespace {

using namespace std::chrono_literals;

constexpr auto kLong = std::chrono::nanoseconds(std::chrono::hours(1));

// The name of event `index` of the wake whose tag is at `tag_at` of `memory`.
std::wstring event_name(const SharedMemory& memory, std::size_t tag_at, int index) {
  static constexpr wchar_t kHex[] = L"0123456789abcdef";
  std::wstring name = L"Local\\geyser-wake-";
  for (const std::byte b : memory.bytes().subspan(tag_at, kWakeTagSize)) {
    name += kHex[static_cast<unsigned>(b) >> 4];
    name += kHex[static_cast<unsigned>(b) & 15];
  }
  return name + L"-" + std::to_wstring(index);
}

// A reader's mapping of a board (what a receiver maps), to look at its tag.
SharedMemory map_board(const ipc::BoardWriter& board) {
  auto handle = board.share();
  EXPECT_TRUE(handle) << handle.error().to_string();
  auto memory =
      SharedMemory::open(std::move(*handle), ipc::kBoardSize, SharedAccess::CreatorWrites);
  EXPECT_TRUE(memory) << memory.error().to_string();
  return std::move(memory).value();
}

bool is_set(const std::wstring& name) {
  const UniqueHandle event(OpenEventW(SYNCHRONIZE, FALSE, name.c_str()));
  return event && WaitForSingleObject(event.get(), 0) == WAIT_OBJECT_0;
}

TEST(CpuTimelineWin32Test, SignalsAndWaitsThroughAnExportedHandle) {
  auto timeline = CpuTimeline::create(1);
  ASSERT_TRUE(timeline) << timeline.error().to_string();
  auto handle = timeline->export_handle();
  ASSERT_TRUE(handle) << handle.error().to_string();
  auto other = CpuTimeline::open(std::move(*handle));
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_EQ(other->value(), 1u);
  timeline->signal(5);
  EXPECT_EQ(other->value(), 5u);
  other->signal(3);  // never lowers it
  EXPECT_EQ(timeline->value(), 5u);
  std::thread signaller([&timeline] { timeline->signal(9); });
  EXPECT_TRUE(other->wait(9, kLong));
  signaller.join();
  auto late = other->wait(10, 20ms);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::Timeout) << late.error().to_string();
}

TEST(CpuTimelineWin32Test, OpenRefusesWhatIsNoTimeline) {
  auto empty = CpuTimeline::open(UniqueHandle());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::Validation);
  auto event = CpuTimeline::open(test::make_event());
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().code(), ErrorCode::Validation) << event.error().to_string();
  auto large = CpuTimeline::open(test::make_section(8192));
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code(), ErrorCode::Validation) << large.error().to_string();
  auto zeros = CpuTimeline::open(test::make_section(4096));
  ASSERT_FALSE(zeros);
  EXPECT_EQ(zeros.error().code(), ErrorCode::Validation) << zeros.error().to_string();
  EXPECT_NE(zeros.error().message().find("magic"), std::string::npos) << zeros.error().message();
}

TEST(SharedWakeWin32Test, OneEventIsSetPerCounterValue) {
  auto board = ipc::BoardWriter::create();
  ASSERT_TRUE(board) << board.error().to_string();
  const SharedMemory mapped = map_board(*board);
  EXPECT_TRUE(is_set(event_name(mapped, 32, 0)));
  EXPECT_FALSE(is_set(event_name(mapped, 32, 1)));
  EXPECT_FALSE(is_set(event_name(mapped, 32, 2)));
  board->wake();
  EXPECT_FALSE(is_set(event_name(mapped, 32, 0)));
  EXPECT_TRUE(is_set(event_name(mapped, 32, 1)));
  board->wake();
  board->wake();
  EXPECT_TRUE(is_set(event_name(mapped, 32, 0)));
  EXPECT_FALSE(is_set(event_name(mapped, 32, 2)));
}

// Whether `name` (an event) can be opened, or its waitable handle widened, to set it.
bool can_set(const std::wstring& name) {
  const UniqueHandle setter(OpenEventW(EVENT_MODIFY_STATE, FALSE, name.c_str()));
  if (setter) return true;
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  const UniqueHandle waitable(OpenEventW(SYNCHRONIZE, FALSE, name.c_str()));
  EXPECT_TRUE(waitable) << "a receiver may wait: " << GetLastError();
  HANDLE wider = nullptr;
  const HANDLE self = GetCurrentProcess();
  const bool widened =
      DuplicateHandle(self, waitable.get(), self, &wider, EVENT_MODIFY_STATE, FALSE, 0) != 0;
  const UniqueHandle wider_owned(wider);
  return widened;
}

TEST(SharedWakeWin32Test, ABoardsReceiverCannotSetItsEvents) {
  // A control: an event of our own with a SYNCHRONIZE-only DACL shows whether this system
  // enforces event DACLs at all (Wine 8 does; if it did not, nothing here could be seen).
  auto security = win32::OwnerOnlySecurity::create(SYNCHRONIZE);
  ASSERT_TRUE(security) << security.error().to_string();
  const std::wstring control_name =
      L"Local\\geyser-test-dacl-" + std::to_wstring(GetCurrentProcessId());
  const UniqueHandle control(
      CreateEventW(security->attributes(), TRUE, FALSE, control_name.c_str()));
  ASSERT_TRUE(control) << GetLastError();
  if (can_set(control_name)) {
    GTEST_SKIP() << "this system does not enforce an event's DACL (SYNCHRONIZE only): "
                    "OpenEventW or DuplicateHandle with EVENT_MODIFY_STATE succeed";
  }
  auto board = ipc::BoardWriter::create();
  ASSERT_TRUE(board) << board.error().to_string();
  const SharedMemory mapped = map_board(*board);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(can_set(event_name(mapped, 32, i))) << "a board's event " << i << " can be set";
  }
}

TEST(SharedWakeWin32Test, ATimelinesPeerMaySetItsEvents) {
  auto timeline = CpuTimeline::create();
  ASSERT_TRUE(timeline) << timeline.error().to_string();
  auto handle = timeline->export_handle();
  ASSERT_TRUE(handle);
  auto memory = SharedMemory::open(std::move(*handle), 4096, SharedAccess::PeersWrite);
  ASSERT_TRUE(memory) << memory.error().to_string();
  const std::wstring name = event_name(*memory, 24, 0);
  const UniqueHandle setter(OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, name.c_str()));
  EXPECT_TRUE(setter) << GetLastError();
}

TEST(SharedWakeWin32Test, WakeLocalEndsALocalWaitWithoutChangingTheBoard) {
  auto board = ipc::BoardWriter::create();
  ASSERT_TRUE(board) << board.error().to_string();
  auto handle = board->share();
  ASSERT_TRUE(handle);
  auto reader = ipc::BoardReader::open(std::move(*handle));
  ASSERT_TRUE(reader) << reader.error().to_string();
  const std::uint32_t seen = reader->wake_count();
  std::atomic<bool> returned{false};
  Result<void> result = fail(ErrorCode::Internal, "not returned");
  std::thread waiter([&] {
    result = reader->wait(seen, kLong);
    returned = true;
  });
  // The waiter may not be waiting yet when a wake_local comes, so wake until it returns (an
  // hour's timeout otherwise: the test's ctest timeout catches a wake_local that wakes no one).
  while (!returned) {
    reader->wake_waiters();
    Sleep(1);
  }
  waiter.join();
  EXPECT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(reader->wake_count(), seen);
  EXPECT_EQ(reader->published(), 0u);
}

TEST(SharedWakeWin32Test, OpenRefusesAZeroTag) {
  std::uint32_t counter = 0;
  const std::array<std::byte, kWakeTagSize> tag{};
  auto wake = SharedWake::open(std::as_writable_bytes(std::span(&counter, 1)), tag,
                               WakeAccess::CreatorWakes);
  ASSERT_FALSE(wake);
  EXPECT_EQ(wake.error().code(), ErrorCode::Validation);
}

}  // namespace
}  // namespace geyser
