#include "pipe_test_support.hpp"

#include <atomic>
#include <cstring>

namespace geyser::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  wchar_t temp[MAX_PATH + 1] = {};
  GetTempPathW(MAX_PATH, temp);
  path_ = std::filesystem::path(temp) / (L"geyser-test-" + std::to_wstring(GetCurrentProcessId()) +
                                         L"-" + std::to_wstring(counter++));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string unique_channel(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(GetCurrentProcessId()) + "-" + std::to_string(counter++) + "-" + tag;
}

PeerProcess::PeerProcess(const std::wstring& exe_name, const std::vector<std::wstring>& args) {
  wchar_t self[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, self, MAX_PATH);
  const std::filesystem::path exe = std::filesystem::path(self).replace_filename(exe_name);
  std::wstring command = L"\"" + exe.wstring() + L"\"";
  for (const auto& arg : args) command += L" \"" + arg + L"\"";
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(exe.c_str(), command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                      &startup, &info)) {
    return;
  }
  CloseHandle(info.hThread);
  process_.reset(info.hProcess);
  pid_ = info.dwProcessId;
}

DWORD PeerProcess::wait(DWORD ms) {
  if (!process_) return ~0u;
  if (WaitForSingleObject(process_.get(), ms) != WAIT_OBJECT_0) {
    TerminateProcess(process_.get(), 99);
    WaitForSingleObject(process_.get(), INFINITE);
    return ~0u;
  }
  DWORD code = ~0u;
  GetExitCodeProcess(process_.get(), &code);
  return code;
}

DWORD handle_count() {
  // GetProcessHandleCount answers 0 under Wine 8: probe every handle value instead (they
  // are multiples of 4; a test process has far fewer than 16384).
  DWORD count = 0;
  for (std::uintptr_t value = 4; value < 0x10000; value += 4) {
    DWORD flags = 0;
    if (GetHandleInformation(reinterpret_cast<HANDLE>(value), &flags)) ++count;
  }
  return count;
}

UniqueHandle make_section(DWORD size) {
  return UniqueHandle(
      CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, size, nullptr));
}

UniqueHandle make_event() {
  return UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
}

std::string read_section(HANDLE section, std::size_t size) {
  void* view = MapViewOfFile(section, FILE_MAP_READ, 0, 0, size);
  if (view == nullptr) return "<MapViewOfFile failed: " + std::to_string(GetLastError()) + ">";
  std::string text(static_cast<const char*>(view), strnlen(static_cast<const char*>(view), size));
  UnmapViewOfFile(view);
  return text;
}

bool write_section(HANDLE section, const std::string& text) {
  void* view = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, text.size() + 1);
  if (view == nullptr) return false;
  std::memcpy(view, text.c_str(), text.size() + 1);
  UnmapViewOfFile(view);
  return true;
}

}  // namespace geyser::test
