#include "geyser/error.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace geyser {
namespace {

TEST(ErrorCodeTest, NamesEveryCode) {
  EXPECT_EQ(to_string(ErrorCode::Validation), "Validation");
  EXPECT_EQ(to_string(ErrorCode::Unsupported), "Unsupported");
  EXPECT_EQ(to_string(ErrorCode::OutOfMemory), "OutOfMemory");
  EXPECT_EQ(to_string(ErrorCode::DeviceLost), "DeviceLost");
  EXPECT_EQ(to_string(ErrorCode::DeviceMismatch), "DeviceMismatch");
  EXPECT_EQ(to_string(ErrorCode::Disconnected), "Disconnected");
  EXPECT_EQ(to_string(ErrorCode::Timeout), "Timeout");
  EXPECT_EQ(to_string(ErrorCode::PermissionDenied), "PermissionDenied");
  EXPECT_EQ(to_string(ErrorCode::Protocol), "Protocol");
  EXPECT_EQ(to_string(ErrorCode::Internal), "Internal");
}

TEST(ErrorTest, AccessorsReturnWhatWasGiven) {
  const Error error(ErrorCode::OutOfMemory, "vkAllocateMemory: 4096 bytes", NativeDomain::VkResult,
                    -2);
  EXPECT_EQ(error.code(), ErrorCode::OutOfMemory);
  EXPECT_EQ(error.native_domain(), NativeDomain::VkResult);
  EXPECT_EQ(error.native_code(), -2);
  EXPECT_EQ(error.message(), "vkAllocateMemory: 4096 bytes");
}

TEST(ErrorTest, ToStringWithoutNativeCodeAppendsNothing) {
  const Error error(ErrorCode::Validation, "TextureDescriptor: width 0");
  EXPECT_EQ(error.native_domain(), NativeDomain::None);
  EXPECT_EQ(error.to_string(), "Validation: TextureDescriptor: width 0");
}

TEST(ErrorTest, ToStringNamesVkResult) {
  const Error error(ErrorCode::DeviceMismatch, "import_texture: driver UUID differs",
                    NativeDomain::VkResult, -1000072003);
  EXPECT_EQ(error.to_string(),
            "DeviceMismatch: import_texture: driver UUID differs (VkResult -1000072003)");
  const Error lost(ErrorCode::DeviceLost, "vkQueueSubmit", NativeDomain::VkResult, -4);
  EXPECT_EQ(lost.to_string(), "DeviceLost: vkQueueSubmit (VkResult -4)");
}

TEST(ErrorTest, ToStringNamesOtherDomains) {
  EXPECT_EQ(Error(ErrorCode::Internal, "close", NativeDomain::Errno, 9).to_string(),
            "Internal: close (errno 9)");
  EXPECT_EQ(
      Error(ErrorCode::Internal, "cuImportExternalMemory", NativeDomain::CUresult, 1).to_string(),
      "Internal: cuImportExternalMemory (CUresult 1)");
  EXPECT_EQ(
      Error(ErrorCode::Internal, "glImportMemoryFdEXT", NativeDomain::GLenum, 0x0502).to_string(),
      "Internal: glImportMemoryFdEXT (GLenum 0x0502)");
}

TEST(ErrorTest, FromErrnoAppendsStrerror) {
  const Error error = Error::from_errno(ErrorCode::PermissionDenied, "open(/dev/dri)", EACCES);
  EXPECT_EQ(error.code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(error.native_domain(), NativeDomain::Errno);
  EXPECT_EQ(error.native_code(), EACCES);
  EXPECT_EQ(error.message(), std::string("open(/dev/dri): ") + std::strerror(EACCES));
  EXPECT_EQ(error.to_string(), std::string("PermissionDenied: open(/dev/dri): ") +
                                   std::strerror(EACCES) + " (errno " + std::to_string(EACCES) +
                                   ")");
}

TEST(ErrorTest, FromErrnoHandlesUnknownErrno) {
  const Error error = Error::from_errno(ErrorCode::Internal, "weird", 123456);
  EXPECT_EQ(error.native_code(), 123456);
  EXPECT_EQ(error.message().rfind("weird: ", 0), 0u) << error.message();
  EXPECT_GT(error.message().size(), std::string("weird: ").size());
}

Result<int> half(int value) {
  if (value % 2 != 0)
    return fail(ErrorCode::Validation, "half: " + std::to_string(value) + " is odd");
  return value / 2;
}

Result<int> quarter(int value) {
  GEYSER_TRY(const int h, half(value));
  GEYSER_TRY(const int q, half(h));
  return q;
}

Result<void> check_even(int value) {
  GEYSER_TRY_VOID(half(value));
  return {};
}

TEST(ErrorTest, TryPropagatesTheFirstError) {
  ASSERT_TRUE(quarter(8).has_value());
  EXPECT_EQ(*quarter(8), 2);
  const auto odd = quarter(6);
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().code(), ErrorCode::Validation);
  EXPECT_EQ(odd.error().message(), "half: 3 is odd");
  EXPECT_TRUE(check_even(4).has_value());
  ASSERT_FALSE(check_even(5).has_value());
  EXPECT_EQ(check_even(5).error().message(), "half: 5 is odd");
}

}  // namespace
}  // namespace geyser
