// EventSet on Windows, where no one handle waits for several: wait() is
// WaitForMultipleObjects over the members, and native_handle() is a manual-reset event that
// a watcher thread keeps level-triggered. The thread (started by the first native_handle())
// waits for any member; when one is set it sets the event, then polls the members every
// kRecheckMs (or at once when add, remove or wait() signal `changed`) and resets the event
// when none is set. It waits on duplicates of the members that it shares ownership of, so a
// member removed and closed by its owner is never waited on after its handle is reused.
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "geyser/ipc/event_set.hpp"
#include "geyser/win32_error.hpp"

namespace geyser::ipc {

struct EventSet::Members {
  struct Member {
    NativeHandle original;                    // the owner's handle, borrowed
    std::shared_ptr<const UniqueHandle> own;  // our duplicate, for the watcher
  };
  std::mutex mutex;  // guards members against the watcher's reads
  std::vector<Member> members;
  UniqueHandle changed;  // auto-reset: the watcher looks at the members again
  UniqueHandle ready;    // manual-reset: native_handle()
  std::atomic<bool> stopping{false};
  std::once_flag started;
  std::thread watcher;

  ~Members() {
    if (!watcher.joinable()) return;
    stopping = true;
    (void)SetEvent(changed.get());
    watcher.join();
  }
  void poke() noexcept { (void)SetEvent(changed.get()); }
  std::vector<std::shared_ptr<const UniqueHandle>> held() {
    const std::lock_guard lock(mutex);
    std::vector<std::shared_ptr<const UniqueHandle>> out;
    for (const Member& m : members) out.push_back(m.own);
    return out;
  }
  void watch() noexcept;
};

namespace {

constexpr DWORD kRecheckMs = 10;

DWORD milliseconds(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms <= 0) return 0;
  return ms >= static_cast<long long>(INFINITE) ? INFINITE - 1 : static_cast<DWORD>(ms);
}

bool any_set(const HANDLE* handles, DWORD count) noexcept {
  return count > 0 && WaitForMultipleObjects(count, handles, FALSE, 0) < WAIT_OBJECT_0 + count;
}

Result<UniqueHandle> new_event(bool manual_reset) {
  UniqueHandle event(CreateEventW(nullptr, manual_reset, FALSE, nullptr));
  if (!event) return fail(last_win32_error(ErrorCode::Internal, "EventSet: CreateEventW"));
  return event;
}

}  // namespace

void EventSet::Members::watch() noexcept {
  bool raised = false;
  while (!stopping) {
    const auto own = held();  // keeps each duplicate open while we wait on it
    std::vector<HANDLE> handles{changed.get()};
    for (const auto& h : own) handles.push_back(h->get());
    const auto count = static_cast<DWORD>(handles.size());
    if (!raised) {
      const DWORD r = WaitForMultipleObjects(count, handles.data(), FALSE, INFINITE);
      if (r > WAIT_OBJECT_0 && r < WAIT_OBJECT_0 + count) {
        raised = SetEvent(ready.get()) != 0;
      } else if (r == WAIT_FAILED) {
        Sleep(kRecheckMs);
      }
    } else {
      (void)WaitForSingleObject(changed.get(), kRecheckMs);
      if (!any_set(handles.data() + 1, count - 1)) {
        (void)ResetEvent(ready.get());
        raised = false;
      }
    }
  }
}

EventSet::EventSet(std::unique_ptr<Members> members) noexcept : members_(std::move(members)) {}
EventSet::EventSet(EventSet&& other) noexcept = default;
EventSet& EventSet::operator=(EventSet&& other) noexcept = default;
EventSet::~EventSet() = default;

Result<EventSet> EventSet::create() {
  auto members = std::make_unique<Members>();
  GEYSER_TRY(members->changed, new_event(false));
  GEYSER_TRY(members->ready, new_event(true));
  return EventSet(std::move(members));
}

Result<void> EventSet::add(NativeHandle handle) {
  Members& m = *members_;
  const std::lock_guard lock(m.mutex);
  const auto same = [handle](const Members::Member& member) { return member.original == handle; };
  if (std::any_of(m.members.begin(), m.members.end(), same)) return {};
  if (m.members.size() >= kMaxMembers) {
    return fail(ErrorCode::Unsupported,
                "EventSet::add: a set on Windows has at most " + std::to_string(kMaxMembers) +
                    " members (WaitForMultipleObjects takes 64 handles; the watcher needs one)");
  }
  HANDLE copy = nullptr;
  const HANDLE self = GetCurrentProcess();
  if (handle == nullptr || !DuplicateHandle(self, handle, self, &copy, SYNCHRONIZE, FALSE, 0)) {
    return fail(last_win32_error(ErrorCode::Validation,
                                 "EventSet::add: not a waitable handle of this process"));
  }
  m.members.push_back({handle, std::make_shared<const UniqueHandle>(copy)});
  m.poke();
  return {};
}

void EventSet::remove(NativeHandle handle) noexcept {
  Members& m = *members_;
  {
    const std::lock_guard lock(m.mutex);
    std::erase_if(m.members,
                  [handle](const Members::Member& member) { return member.original == handle; });
  }
  m.poke();
}

bool EventSet::wait(std::chrono::milliseconds timeout) const noexcept {
  Members& m = *members_;
  std::vector<HANDLE> handles;
  {
    const std::lock_guard lock(m.mutex);
    for (const Members::Member& member : m.members) handles.push_back(member.original);
  }
  const DWORD ms = milliseconds(timeout);
  if (handles.empty()) {
    Sleep(ms);
    return false;
  }
  const auto count = static_cast<DWORD>(handles.size());
  const DWORD r = WaitForMultipleObjects(count, handles.data(), FALSE, ms);
  m.poke();  // what was set may have been consumed since the watcher looked
  return r < WAIT_OBJECT_0 + count;
}

NativeHandle EventSet::native_handle() const noexcept {
  Members& m = *members_;
  try {
    std::call_once(m.started, [&m] { m.watcher = std::thread([&m] { m.watch(); }); });
  } catch (...) {
    return nullptr;  // std::system_error: no thread, so no handle that would be kept level
  }
  return m.ready.get();
}

}  // namespace geyser::ipc
