// geyser_host_send_peer.exe DIR NAME FRAMES: a host::Sender in its own process for the
// Windows host-frames test. Publishes NAME in marker directory DIR, waits (at most 20 s)
// for a receiver, writes FRAMES frames of the test pattern about 100 a second, then waits
// (at most 20 s) for the receiver to go. Exit 0 when all of that happened, 1 otherwise
// (the reason on stderr).
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "geyser/host/sender.hpp"
#include "host_frames_support.hpp"

namespace {

using namespace std::chrono_literals;
using geyser::host::Sender;

int failed(const std::string& what) {
  std::fprintf(stderr, "geyser_host_send_peer: %s\n", what.c_str());
  return 1;
}

// Polls until `done` or 20 s pass; whether it was done.
template <typename Done>
bool poll_until(Sender& sender, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    (void)sender.poll(10ms);
  }
  return true;
}

int run(const std::wstring& dir, const std::wstring& name, unsigned frames) {
  geyser::channel::SenderOptions options;
  options.runtime_dir = dir;
  const auto desc = geyser::test::host_frames_desc();
  auto sender = Sender::publish(std::string(name.begin(), name.end()), desc, options);
  if (!sender) return failed("publish: " + sender.error().to_string());
  if (!poll_until(*sender, [&] { return sender->stats().receivers > 0; })) {
    return failed("no receiver within 20 s");
  }
  for (std::uint64_t frame = 1; frame <= frames; ++frame) {
    auto written = sender->write(geyser::test::host_frames_pattern(desc, frame), 2s);
    if (!written) return failed("write: " + written.error().to_string());
    if (*written != frame) return failed("frame " + std::to_string(*written) + " numbered");
    (void)sender->poll(10ms);
  }
  if (!poll_until(*sender, [&] { return sender->stats().receivers == 0; })) {
    return failed("the receiver did not go within 20 s");
  }
  return 0;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc != 4) return failed("usage: geyser_host_send_peer DIR NAME FRAMES");
  return run(argv[1], argv[2], static_cast<unsigned>(std::wcstoul(argv[3], nullptr, 10)));
}
