// geyser_wake_costs: what the frame board's one wake costs the sender with 0, 1, 2, 4 and
// 8 processes asleep on it. A present publishes the record with SharedWake::wake (on Linux
// one FUTEX_WAKE for every waiter, docs/protocol.md "Wake counters"); the kernel wakes each
// sleeping receiver from inside that call, on the sender's CPU time. This times the call
// alone, on the waking thread's CPU clock and on the wall clock, with N child processes
// asleep in SharedWake::wait on the same shared word, as N receivers waiting on the board.
// Then the same with fan-out (docs/protocol.md, "Fan-out"): SharedWake::wake_one_fan_out,
// which wakes one child and leaves it to wake the others (SharedWake::wake_fan_out), as a
// sender with two receivers or more publishes. "all woken" is the wall time from the wake
// until every child has returned from its wait. No GPU. Usage: geyser_wake_costs [wakes per case,
// default 2000]
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>
#include <thread>
#include <vector>

#include "geyser/shared_wake.hpp"

namespace {

// What the parent and its children share: the wake counter and its tag, as on a board,
// and how many children are about to sleep.
struct Shared {
  alignas(64) std::uint32_t counter = 0;
  std::byte tag[geyser::kWakeTagSize]{};
  alignas(4) std::uint32_t fan_out_word = 0;  // where wake_one_fan_out moves the others
  std::atomic<int> fan_out{0};                // this case: the waker fans out
  alignas(64) std::atomic<int> asleep{0};
  std::atomic<long> woken{0};  // wait() returns so far, all children together
  std::atomic<int> stop{0};
};

std::uint64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::span<std::byte> counter_of(Shared& s) {
  return {reinterpret_cast<std::byte*>(&s.counter), sizeof s.counter};
}
std::span<const std::byte> fan_out_of(Shared& s) {
  return {reinterpret_cast<const std::byte*>(&s.fan_out_word), sizeof s.fan_out_word};
}

// A child: sleeps on the counter until told to stop, as a receiver waits on the board.
[[noreturn]] void sleeper(Shared& s) {
  auto wake = geyser::SharedWake::open(counter_of(s), s.tag, geyser::WakeAccess::CreatorWakes);
  if (!wake) std::_Exit(2);
  while (s.stop.load(std::memory_order_acquire) == 0) {
    const std::uint32_t seen = wake->count();
    s.asleep.fetch_add(1, std::memory_order_acq_rel);
    if (!wake->wait(seen, std::chrono::seconds(2))) std::_Exit(3);
    // A board receiver's duty under fan-out (BoardReader::wait).
    if (s.fan_out.load(std::memory_order_acquire) != 0 && wake->count() != seen) {
      geyser::SharedWake::wake_fan_out(fan_out_of(s));
    }
    s.asleep.fetch_sub(1, std::memory_order_acq_rel);
    s.woken.fetch_add(1, std::memory_order_acq_rel);
  }
  std::_Exit(0);
}

struct Figures {
  double cpu_p50_us = 0, cpu_mean_us = 0, wall_p50_us = 0, all_woken_p50_us = 0;
};

double p50(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Times `wakes` wakes with `sleepers` children asleep before each; false when a child
// failed.
bool run_case(Shared& s, geyser::SharedWake& wake, int sleepers, int wakes, Figures& out) {
  s.stop.store(0);
  s.woken.store(0);
  std::vector<pid_t> children;
  for (int i = 0; i < sleepers; ++i) {
    const pid_t pid = fork();
    if (pid == 0) sleeper(s);
    if (pid < 0) return false;
    children.push_back(pid);
  }
  std::vector<double> cpu, wall, all_woken;
  const bool fan_out = s.fan_out.load() != 0;
  for (int i = 0; i < wakes; ++i) {
    while (s.asleep.load(std::memory_order_acquire) < sleepers) std::this_thread::yield();
    // A child counts itself just before its futex call: give it time to be in the kernel.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const std::uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
    if (fan_out) {
      wake.wake_one_fan_out(fan_out_of(s));
    } else {
      wake.wake();
    }
    const std::uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    cpu.push_back(static_cast<double>(c1 - c0) / 1e3);
    wall.push_back(static_cast<double>(w1 - w0) / 1e3);
    // Every child wakes once per wake, then sleeps again.
    const long expected = static_cast<long>(i + 1) * sleepers;
    while (s.woken.load(std::memory_order_acquire) < expected) std::this_thread::yield();
    all_woken.push_back(static_cast<double>(now_ns(CLOCK_MONOTONIC) - w0) / 1e3);
  }
  s.stop.store(1, std::memory_order_release);
  wake.wake();
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  s.asleep.store(0);
  double sum = 0;
  for (double c : cpu) sum += c;
  out = {p50(cpu), sum / static_cast<double>(cpu.size()), p50(wall), p50(all_woken)};
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int wakes = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
  void* memory =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::perror("geyser_wake_costs: mmap");
    return 1;
  }
  auto* shared = new (memory) Shared;
  auto wake = geyser::SharedWake::create(counter_of(*shared), shared->tag,
                                         geyser::WakeAccess::CreatorWakes);
  if (!wake) {
    std::fprintf(stderr, "geyser_wake_costs: %s\n", wake.error().to_string().c_str());
    return 1;
  }
  for (const int fan_out : {0, 1}) {
    shared->fan_out.store(fan_out);
    std::printf("%s with N processes asleep on the word, %d wakes each\n",
                fan_out ? "SharedWake::wake_one_fan_out (fan-out)" : "SharedWake::wake", wakes);
    std::printf("%3s %16s %16s %16s %16s\n", "N", "waker CPU p50", "waker CPU mean", "wall p50",
                "all woken p50");
    for (int sleepers : {0, 1, 2, 4, 8}) {
      Figures f;
      if (!run_case(*shared, *wake, sleepers, wakes, f)) {
        std::fprintf(stderr, "geyser_wake_costs: a sleeping child failed (N=%d)\n", sleepers);
        return 1;
      }
      std::printf("%3d %14.2fus %14.2fus %14.2fus %14.2fus\n", sleepers, f.cpu_p50_us,
                  f.cpu_mean_us, f.wall_p50_us, f.all_woken_p50_us);
    }
  }
  return 0;
}
