// runtime_dir_win32(): the marker directory is made private when missing, and one that
// exists is taken only when it is ours alone (the Windows side of ensure_private_dir).
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "geyser/ipc/named_pipe_transport.hpp"

namespace geyser::ipc {
namespace {

// A fresh path under the temporary directory, and GEYSER_RUNTIME_DIR pointing at it while
// the test runs.
class RuntimeDirWin32 : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("geyser-runtime-" + std::to_string(GetCurrentProcessId()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    ASSERT_EQ(_wputenv_s(L"GEYSER_RUNTIME_DIR", dir_.c_str()), 0);
  }
  void TearDown() override {
    (void)_wputenv_s(L"GEYSER_RUNTIME_DIR", L"");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // Makes dir_ with the security descriptor `sddl` describes.
  void make_dir(const char* sddl) {
    SECURITY_ATTRIBUTES attributes{sizeof attributes, nullptr, FALSE};
    ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorA(
        sddl, SDDL_REVISION_1, &attributes.lpSecurityDescriptor, nullptr))
        << GetLastError();
    const BOOL made = CreateDirectoryW(dir_.c_str(), &attributes);
    LocalFree(attributes.lpSecurityDescriptor);
    ASSERT_TRUE(made) << GetLastError();
  }
  std::filesystem::path dir_;
};

TEST_F(RuntimeDirWin32, AMissingDirectoryIsMadeAndThenTakenAgain) {
  auto made = runtime_dir_win32();
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_EQ(*made, dir_);
  EXPECT_TRUE(std::filesystem::is_directory(dir_));
  auto again = runtime_dir_win32();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(*again, dir_);
}

TEST_F(RuntimeDirWin32, ADirectoryEveryoneMayOpenIsRefusedNamingThem) {
  make_dir("D:P(A;;GA;;;WD)(A;;GA;;;OW)");  // Everyone and OWNER RIGHTS
  auto dir = runtime_dir_win32();
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::PermissionDenied) << dir.error().to_string();
  EXPECT_NE(dir.error().message().find("grants access to S-1-1-0"), std::string::npos)
      << dir.error().message();
}

// Whether `dir` reads back with a NULL DACL (Wine 8 stores none: it gives the directory a
// DACL of its own).
bool has_null_dacl(const std::filesystem::path& dir) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  std::wstring name = dir.wstring();
  const DWORD err = GetNamedSecurityInfoW(name.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                          nullptr, nullptr, &dacl, nullptr, &descriptor);
  if (err != ERROR_SUCCESS) return false;
  LocalFree(descriptor);
  return dacl == nullptr;
}

TEST_F(RuntimeDirWin32, ADirectoryWithoutADaclIsRefused) {
  make_dir("D:NO_ACCESS_CONTROL");
  if (!has_null_dacl(dir_)) {
    GTEST_SKIP() << "a directory made with a NULL DACL reads back with a DACL here (Wine 8 "
                    "keeps none), so there is no such directory to refuse";
  }
  auto dir = runtime_dir_win32();
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::PermissionDenied) << dir.error().to_string();
  EXPECT_NE(dir.error().message().find("has no DACL"), std::string::npos) << dir.error().message();
}

TEST_F(RuntimeDirWin32, AFileInItsPlaceIsRefused) {
  const HANDLE file = CreateFileW(dir_.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                  FILE_ATTRIBUTE_NORMAL, nullptr);
  ASSERT_NE(file, INVALID_HANDLE_VALUE) << GetLastError();
  CloseHandle(file);
  auto dir = runtime_dir_win32();
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::PermissionDenied) << dir.error().to_string();
  EXPECT_NE(dir.error().message().find("is not a directory"), std::string::npos)
      << dir.error().message();
}

}  // namespace
}  // namespace geyser::ipc
