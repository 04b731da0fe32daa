// UniqueHandle on Windows: ownership of a HANDLE, CloseHandle exactly once, DuplicateHandle.
#include <windows.h>

#include <utility>

#include <gtest/gtest.h>

#include "geyser/unique_handle.hpp"

namespace geyser {
namespace {

// Whether `handle` is an open handle of this process.
bool is_open(HANDLE handle) {
  DWORD flags = 0;
  return GetHandleInformation(handle, &flags) != 0;
}

UniqueHandle make_event() {
  return UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
}

TEST(UniqueHandleTest, DefaultIsEmpty) {
  const UniqueHandle handle;
  EXPECT_EQ(handle.get(), kInvalidNativeHandle);
  EXPECT_FALSE(handle.valid());
  EXPECT_FALSE(static_cast<bool>(handle));
}

TEST(UniqueHandleTest, BothFailureValuesAreEmpty) {
  EXPECT_FALSE(UniqueHandle(nullptr).valid());
  const UniqueHandle invalid(INVALID_HANDLE_VALUE);
  EXPECT_FALSE(invalid.valid());
  EXPECT_EQ(invalid.get(), nullptr);
  // What CreateFile returns when it fails.
  const UniqueHandle missing(CreateFileW(L"C:\\geyser-no-such-dir\\none", GENERIC_READ, 0, nullptr,
                                         OPEN_EXISTING, 0, nullptr));
  EXPECT_FALSE(missing.valid());
}

TEST(UniqueHandleTest, ClosesOnDestruction) {
  HANDLE raw = nullptr;
  {
    UniqueHandle event = make_event();
    ASSERT_TRUE(event.valid());
    raw = event.get();
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueHandleTest, MoveTransfersOwnership) {
  UniqueHandle first = make_event();
  HANDLE raw = first.get();
  UniqueHandle second(std::move(first));
  EXPECT_FALSE(first.valid());
  EXPECT_EQ(second.get(), raw);
  UniqueHandle third;
  third = std::move(second);
  EXPECT_EQ(third.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueHandleTest, ReleaseGivesUpOwnership) {
  UniqueHandle event = make_event();
  HANDLE raw = event.release();
  EXPECT_FALSE(event.valid());
  EXPECT_TRUE(is_open(raw));
  ASSERT_TRUE(CloseHandle(raw));
}

TEST(UniqueHandleTest, ResetClosesTheOldHandle) {
  UniqueHandle event = make_event();
  HANDLE old = event.get();
  UniqueHandle other = make_event();
  HANDLE replacement = other.release();
  event.reset(replacement);
  EXPECT_FALSE(is_open(old));
  EXPECT_EQ(event.get(), replacement);
  event.reset();
  EXPECT_FALSE(is_open(replacement));
  EXPECT_FALSE(event.valid());
}

TEST(UniqueHandleTest, ResetKeepsTheLastError) {
  UniqueHandle event = make_event();
  SetLastError(ERROR_FILE_NOT_FOUND);
  event.reset();
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
}

TEST(UniqueHandleTest, DuplicateIsAnotherHandleToTheSameObject) {
  const UniqueHandle event = make_event();
  auto copy = event.duplicate();
  ASSERT_TRUE(copy) << copy.error().to_string();
  EXPECT_NE(copy->get(), event.get());
  // Signalled through the copy, seen through the original: one event object.
  ASSERT_TRUE(SetEvent(copy->get()));
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0);
  HANDLE raw = copy->get();
  copy->reset();
  EXPECT_FALSE(is_open(raw));
  EXPECT_TRUE(is_open(event.get()));
}

TEST(UniqueHandleTest, DuplicateOfEmptyIsValidation) {
  const UniqueHandle empty;
  auto copy = empty.duplicate();
  ASSERT_FALSE(copy);
  EXPECT_EQ(copy.error().code(), ErrorCode::Validation);
}

TEST(UniqueHandleTest, DuplicateOfAClosedHandleFails) {
  UniqueHandle event = make_event();
  HANDLE raw = event.release();
  ASSERT_TRUE(CloseHandle(raw));
  UniqueHandle stale(raw);
  auto copy = stale.duplicate();
  // `stale` names a closed handle: let go of it without closing it again.
  (void)stale.release();
  ASSERT_FALSE(copy);
  EXPECT_EQ(copy.error().code(), ErrorCode::Validation) << copy.error().to_string();
  EXPECT_EQ(copy.error().native_domain(), NativeDomain::Win32);
}

}  // namespace
}  // namespace geyser
