// SharedWake on Windows: WaitOnAddress does not cross processes, so the wake counter comes
// with three manual-reset named events in rotation, "Local\geyser-wake-<tag>-<0|1|2>",
// where <tag> is 32 hex digits of the 16 random bytes of the wake tag.
//
// At counter value w, event w % 3 is set and the other two are reset. A waiter that saw w
// waits for either of the other two, so the next wake (or the one after) ends its wait, and
// the wake needs no count of waiters, which the board's read-only receivers could not keep.
// A third event of this process's own (a semaphore) serves wake_local(). Limits: three or
// more wakes between a waiter's read and its wait bring the rotation back to the event it
// does not wait for (it sleeps until the next wake or its timeout); two processes waking at
// once may leave two events set, so waiters return spuriously until the next wake.
// docs/protocol.md, "Wake counters"; docs/windows.md.
#include <windows.h>
// bcrypt.h needs windows.h's types first.
#include <bcrypt.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "geyser/shared_wake.hpp"
#include "geyser/unique_handle.hpp"
#include "geyser/win32_error.hpp"
#include "geyser/win32_security.hpp"

namespace geyser {

struct SharedWake::Platform {
  std::array<UniqueHandle, 3> events;
  UniqueHandle local;                  // released by wake_local, one permit per waiter
  std::atomic<long> local_waiters{0};  // this process's threads in wait()
  std::mutex mutex;                    // one wake at a time from this process
};

namespace {

using Tag = std::array<std::byte, kWakeTagSize>;
constexpr LONG kMostLocalPermits = 1L << 30;

std::atomic_ref<std::uint32_t> counter_word(std::byte* counter) noexcept {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(counter));
}

DWORD peer_rights(WakeAccess access) {
  return access == WakeAccess::PeersWake ? SYNCHRONIZE | EVENT_MODIFY_STATE : SYNCHRONIZE;
}

std::wstring event_name(const Tag& tag, int index) {
  static constexpr wchar_t kHex[] = L"0123456789abcdef";
  std::wstring name = L"Local\\geyser-wake-";
  for (const std::byte b : tag) {
    name += kHex[static_cast<unsigned>(b) >> 4];
    name += kHex[static_cast<unsigned>(b) & 15];
  }
  return name + L"-" + std::to_wstring(index);
}

std::string narrow(const std::wstring& text) {
  return std::string(text.begin(), text.end());  // the names are ASCII
}

Result<Tag> random_tag() {
  Tag tag{};
  const NTSTATUS status =
      BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(tag.data()), static_cast<ULONG>(tag.size()),
                      BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (status != 0) {
    return fail(Error(ErrorCode::Internal, "SharedWake::create: BCryptGenRandom failed",
                      NativeDomain::Win32, static_cast<std::int64_t>(status)));
  }
  return tag;
}

// A new event of that name; Internal if one exists already (its maker chose its DACL).
Result<UniqueHandle> create_event(const std::wstring& name, bool set, SECURITY_ATTRIBUTES* sa) {
  const DWORD flags = CREATE_EVENT_MANUAL_RESET | (set ? CREATE_EVENT_INITIAL_SET : 0);
  SetLastError(ERROR_SUCCESS);
  UniqueHandle event(CreateEventExW(sa, name.c_str(), flags, EVENT_ALL_ACCESS));
  const DWORD err = GetLastError();
  if (!event) return fail(win32_error(ErrorCode::Internal, "CreateEventExW " + narrow(name), err));
  if (err == ERROR_ALREADY_EXISTS) {
    return fail(ErrorCode::Internal, "SharedWake::create: " + narrow(name) + " exists already");
  }
  return event;
}

Result<UniqueHandle> open_event(const std::wstring& name, DWORD rights) {
  UniqueHandle event(OpenEventW(rights, FALSE, name.c_str()));
  if (!event) {
    return fail(
        last_win32_error(ErrorCode::Validation, "SharedWake::open: OpenEventW " + narrow(name)));
  }
  return event;
}

Result<UniqueHandle> local_semaphore() {
  UniqueHandle semaphore(CreateSemaphoreW(nullptr, 0, kMostLocalPermits, nullptr));
  if (!semaphore)
    return fail(last_win32_error(ErrorCode::Internal, "SharedWake: CreateSemaphoreW"));
  return semaphore;
}

Result<void> check_sizes(std::size_t counter, std::size_t tag, const char* what) {
  if (counter < sizeof(std::uint32_t) || tag < kWakeTagSize) {
    return fail(ErrorCode::Validation, std::string(what) + ": counter or tag too small");
  }
  return {};
}

DWORD milliseconds(std::chrono::nanoseconds timeout) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return ms >= static_cast<long long>(INFINITE) ? INFINITE - 1 : static_cast<DWORD>(ms);
}

}  // namespace

SharedWake::SharedWake(std::byte* counter, std::unique_ptr<Platform> platform) noexcept
    : counter_(counter), platform_(std::move(platform)) {}
SharedWake::SharedWake(SharedWake&& other) noexcept = default;
SharedWake& SharedWake::operator=(SharedWake&& other) noexcept = default;
SharedWake::~SharedWake() = default;

Result<SharedWake> SharedWake::create(std::span<std::byte> counter, std::span<std::byte> tag,
                                      WakeAccess access) {
  GEYSER_TRY_VOID(check_sizes(counter.size(), tag.size(), "SharedWake::create"));
  GEYSER_TRY(const Tag random, random_tag());
  // Our user alone may open them, and only to wait (and, for PeersWake, to set and reset);
  // the handles made here keep full access.
  GEYSER_TRY(auto security, win32::OwnerOnlySecurity::create(peer_rights(access)));
  auto platform = std::make_unique<Platform>();
  const std::uint32_t now = counter_word(counter.data()).load(std::memory_order_acquire);
  for (int i = 0; i < 3; ++i) {
    GEYSER_TRY(platform->events[i],
               create_event(event_name(random, i), now % 3 == static_cast<std::uint32_t>(i),
                            security.attributes()));
  }
  GEYSER_TRY(platform->local, local_semaphore());
  std::memcpy(tag.data(), random.data(), kWakeTagSize);
  return SharedWake(counter.data(), std::move(platform));
}

Result<SharedWake> SharedWake::open(std::span<std::byte> counter, std::span<const std::byte> tag,
                                    WakeAccess access) {
  GEYSER_TRY_VOID(check_sizes(counter.size(), tag.size(), "SharedWake::open"));
  Tag copy{};
  std::memcpy(copy.data(), tag.data(), kWakeTagSize);
  if (copy == Tag{}) return fail(ErrorCode::Validation, "SharedWake::open: no wake tag (zero)");
  auto platform = std::make_unique<Platform>();
  for (int i = 0; i < 3; ++i) {
    GEYSER_TRY(platform->events[i], open_event(event_name(copy, i), peer_rights(access)));
  }
  GEYSER_TRY(platform->local, local_semaphore());
  return SharedWake(counter.data(), std::move(platform));
}

std::uint32_t SharedWake::count() const noexcept {
  return counter_word(counter_).load(std::memory_order_acquire);
}

Result<void> SharedWake::wait(std::uint32_t seen, std::chrono::nanoseconds timeout) const {
  if (timeout <= std::chrono::nanoseconds::zero() || count() != seen) return {};
  Platform& p = *platform_;
  const HANDLE handles[] = {p.events[(seen + 1) % 3].get(), p.events[(seen + 2) % 3].get(),
                            p.local.get()};
  // Counted before the second look at the counter: a wake_local after it releases a permit
  // for us even if we have not reached WaitForMultipleObjects yet.
  p.local_waiters.fetch_add(1, std::memory_order_seq_cst);
  DWORD result = WAIT_OBJECT_0;
  if (count() == seen) result = WaitForMultipleObjects(3, handles, FALSE, milliseconds(timeout));
  const DWORD err = GetLastError();
  p.local_waiters.fetch_sub(1, std::memory_order_seq_cst);
  if (result == WAIT_FAILED) {
    return fail(win32_error(ErrorCode::Internal, "SharedWake::wait: WaitForMultipleObjects", err));
  }
  return {};
}

void SharedWake::wake() noexcept {
  Platform& p = *platform_;
  const std::lock_guard lock(p.mutex);
  const std::uint32_t w = counter_word(counter_).fetch_add(1, std::memory_order_release) + 1;
  // Reset before set: where the counter wraps (2^32 is not a multiple of 3) both are the
  // same event, which must end set.
  (void)ResetEvent(p.events[(w - 1) % 3].get());
  (void)SetEvent(p.events[w % 3].get());
}

void SharedWake::wake_local() const noexcept {
  const long waiting = platform_->local_waiters.load(std::memory_order_seq_cst);
  if (waiting > 0) (void)ReleaseSemaphore(platform_->local.get(), waiting, nullptr);
}

void SharedWake::wake_one_fan_out(std::span<const std::byte> /*fan_out_word*/) noexcept {
  wake();  // the events wake every waiter: nothing is moved, nothing to fan out
}

void SharedWake::wake_fan_out(std::span<const std::byte> /*fan_out_word*/) noexcept {}

}  // namespace geyser
