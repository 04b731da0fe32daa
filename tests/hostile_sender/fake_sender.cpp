// geyser_fake_sender NAME --mode MODE: publishes channel NAME in the runtime directory
// ($GEYSER_RUNTIME_DIR) with the transport and listener a real sender uses, reads each
// receiver's Hello, then answers it as MODE says (fake_modes.cpp). Prints "ready" once the
// channel is published; runs until killed, its parent dies or 300 s passed. Exit 2: usage;
// 1: could not publish.
#include <signal.h>
#include <sys/prctl.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_modes.hpp"
#include "geyser/ipc/message_io.hpp"

namespace geyser::hostile {
namespace {

using namespace std::chrono_literals;

void log(const std::string& text) {
  std::fprintf(stderr, "geyser_fake_sender: %s\n", text.c_str());
}

int usage() {
  std::fprintf(stderr, "usage: geyser_fake_sender NAME --mode MODE\nmodes:");
  for (const Mode& mode : modes())
    std::fprintf(stderr, " %.*s", int(mode.name.size()), mode.name.data());
  std::fprintf(stderr, "\n");
  return 2;
}

// Reads what earlier receivers sent since, and forgets those that left: the connections of
// the silent modes stay open, so that their receivers see a sender that is there but mute.
void drain(std::vector<std::unique_ptr<ipc::Connection>>& kept) {
  std::erase_if(kept, [](const std::unique_ptr<ipc::Connection>& connection) {
    for (;;) {
      auto message = ipc::receive(*connection, 0ms);
      if (!message) return message.error().code() != ErrorCode::Timeout;
    }
  });
}

// Longest a fake sender lives, in case its test forgot it.
constexpr auto kLifetime = 300s;

// Accepts receivers until kLifetime passed; each one's Hello is answered by `mode`.
void serve(ipc::TransportListener& listener, const Mode& mode, FakeStream* stream) {
  std::vector<std::unique_ptr<ipc::Connection>> kept;
  const auto end = std::chrono::steady_clock::now() + kLifetime;
  while (std::chrono::steady_clock::now() < end) {
    drain(kept);
    auto accepted = listener.accept(100ms);
    if (!accepted) continue;
    std::unique_ptr<ipc::Connection> connection = std::move(accepted).value();
    auto hello = ipc::receive(*connection, 2s);
    if (!hello || !std::holds_alternative<ipc::Hello>(*hello)) {
      log("dropping a connection that did not start with Hello");
      continue;
    }
    log("answering the Hello of pid " + std::to_string(connection->peer().pid));
    Peer peer{*connection, stream};
    if (auto answered = mode.answer(peer); !answered) {
      log("mode " + std::string(mode.name) + ": " + answered.error().to_string());
    }
    kept.push_back(std::move(connection));
  }
}

int run(int argc, char** argv) {
  // Dies with the test that started it, even one killed at its ctest timeout (and even
  // while stopped by its own SIGSTOP).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (argc != 4 || std::string_view(argv[2]) != "--mode") return usage();
  const Mode* mode = find_mode(argv[3]);
  if (mode == nullptr) return usage();
  std::unique_ptr<FakeStream> stream;
  if (mode->needs_stream) {
    auto created = FakeStream::create();
    if (!created) {
      log("cannot make the stream: " + created.error().to_string());
      return 1;
    }
    stream = std::move(created).value();
  }
  auto transport = ipc::default_transport();
  if (!transport) {
    log(transport.error().to_string());
    return 1;
  }
  auto listener = (*transport)->listen(argv[1]);
  if (!listener) {
    log("cannot publish: " + listener.error().to_string());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  serve(**listener, *mode, stream.get());
  return 0;
}

}  // namespace
}  // namespace geyser::hostile

int main(int argc, char** argv) {
  return geyser::hostile::run(argc, argv);
}
