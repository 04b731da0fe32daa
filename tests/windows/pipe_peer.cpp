// The other process of the named pipe tests: geyser_pipe_peer.exe DIR CHANNEL MODE.
//   echo   connect; take a section and an event, check the section holds the message's
//          text, write "child read: TEXT" into it, set the event, answer "done" with a
//          section of its own that holds "from the child"; wait for the close
//   die    connect, send "hello", then end abruptly (TerminateProcess, exit code 7)
//   serve  publish CHANNEL; give the first client a section holding "from the server" and
//          an event; once the event is set, check the client wrote "client wrote" there
//   list   check that list() names CHANNEL
//   shm    connect; take a CreatorWrites board and a PeersWrite page (SharedMemory::open,
//          the size in the message), check the board is read-only, write "the child read:
//          BOARD" into the page, answer "mapped"; wait for the close
//   timeline  connect; take a CpuTimeline; check that waiting for 100 times out, answer
//          "ready"; wait for 5 (the parent signals it), signal 7, answer "done"; wait for
//          the close
//   board  connect; take a frame board; three threads read its wake count, then (after
//          "ready" is sent) each waits until the count changes, with no timeout to speak
//          of; answer "woken F" with the newest record's frame F; wait for the close
// Exit code 0 is success; any other names the step that failed (printed to stderr).
#include <windows.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "geyser/cpu_timeline.hpp"
#include "geyser/ipc/frame_board.hpp"
#include "geyser/ipc/named_pipe_transport.hpp"
#include "geyser/ipc/shared_memory.hpp"
#include "pipe_test_support.hpp"

namespace {

using geyser::UniqueHandle;
using geyser::ipc::Milliseconds;
using geyser::ipc::NamedPipeTransport;

constexpr Milliseconds kWait(10000);

int failed(int code, const std::string& what) {
  std::fprintf(stderr, "geyser_pipe_peer: %s\n", what.c_str());
  return code;
}

template <typename T>
bool check(const geyser::Result<T>& result, const char* what, int& code, int step) {
  if (result) return true;
  code = failed(step, std::string(what) + ": " + result.error().to_string());
  return false;
}

std::span<const std::uint8_t> text_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

int echo(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto connection = transport.connect(channel, kWait);
  if (!check(connection, "connect", code, 2)) return code;
  auto packet = (*connection)->receive(4096, 4, kWait);
  if (!check(packet, "receive", code, 3)) return code;
  if (packet->handles.size() != 2) return failed(4, "expected a section and an event");
  const std::string text(packet->bytes.begin(), packet->bytes.end());
  const std::string seen = geyser::test::read_section(packet->handles[0].get(), 4096);
  if (seen != text) return failed(5, "the section holds \"" + seen + "\", not \"" + text + "\"");
  if (!geyser::test::write_section(packet->handles[0].get(), "child read: " + text)) {
    return failed(6, "write_section");
  }
  if (!SetEvent(packet->handles[1].get())) return failed(7, "SetEvent");
  const UniqueHandle own = geyser::test::make_section(4096);
  if (!geyser::test::write_section(own.get(), "from the child")) return failed(8, "own section");
  const geyser::NativeHandle attached[] = {own.get()};
  if (!check((*connection)->send(text_bytes("done"), attached, kWait), "send", code, 9))
    return code;
  // The parent closes when it has checked everything: then we are done.
  auto closed = (*connection)->receive(4096, 4, kWait);
  if (closed || closed.error().code() != geyser::ErrorCode::Disconnected) {
    return failed(10, "expected the parent to close");
  }
  return 0;
}

int die(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto connection = transport.connect(channel, kWait);
  if (!check(connection, "connect", code, 2)) return code;
  if (!check((*connection)->send(text_bytes("hello"), {}, kWait), "send", code, 3)) return code;
  TerminateProcess(GetCurrentProcess(), 7);
  return 4;
}

int serve(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto listener = transport.listen(channel);
  if (!check(listener, "listen", code, 2)) return code;
  auto connection = (*listener)->accept(kWait);
  if (!check(connection, "accept", code, 3)) return code;
  const UniqueHandle section = geyser::test::make_section(4096);
  const UniqueHandle event = geyser::test::make_event();
  if (!geyser::test::write_section(section.get(), "from the server")) return failed(4, "section");
  const geyser::NativeHandle attached[] = {section.get(), event.get()};
  if (!check((*connection)->send(text_bytes("take"), attached, kWait), "send", code, 5)) {
    return code;
  }
  if (WaitForSingleObject(event.get(), 10000) != WAIT_OBJECT_0) return failed(6, "event not set");
  const std::string seen = geyser::test::read_section(section.get(), 4096);
  if (seen != "client wrote") return failed(7, "the section holds \"" + seen + "\"");
  return 0;
}

int list(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto names = transport.list();
  if (!check(names, "list", code, 2)) return code;
  for (const auto& name : *names) {
    if (name == channel) return 0;
  }
  return failed(3, "list() does not name " + channel);
}

int shm(NamedPipeTransport& transport, const std::string& channel) {
  using geyser::ipc::SharedAccess;
  using geyser::ipc::SharedMemory;
  int code = 0;
  auto connection = transport.connect(channel, kWait);
  if (!check(connection, "connect", code, 2)) return code;
  auto packet = (*connection)->receive(64, 2, kWait);
  if (!check(packet, "receive", code, 3)) return code;
  if (packet->handles.size() != 2) return failed(4, "expected a board and a page");
  const std::size_t size = std::stoul(std::string(packet->bytes.begin(), packet->bytes.end()));
  auto board = SharedMemory::open(std::move(packet->handles[0]), size, SharedAccess::CreatorWrites);
  if (!check(board, "open the board", code, 5)) return code;
  auto page = SharedMemory::open(std::move(packet->handles[1]), size, SharedAccess::PeersWrite);
  if (!check(page, "open the page", code, 6)) return code;
  if (board->writable() || !page->writable()) return failed(7, "wrong access");
  const auto* text = reinterpret_cast<const char*>(board->bytes().data());
  const std::string answer = "the child read: " + std::string(text);
  std::memcpy(page->bytes().data(), answer.c_str(), answer.size() + 1);
  if (!check((*connection)->send(text_bytes("mapped"), {}, kWait), "send", code, 8)) return code;
  auto closed = (*connection)->receive(64, 0, kWait);
  if (closed || closed.error().code() != geyser::ErrorCode::Disconnected) {
    return failed(9, "expected the parent to close");
  }
  return 0;
}

// The parent closes when it has checked everything: then we are done.
int await_close(geyser::ipc::Connection& connection, int step) {
  auto closed = connection.receive(64, 0, kWait);
  if (closed || closed.error().code() != geyser::ErrorCode::Disconnected) {
    return failed(step, "expected the parent to close");
  }
  return 0;
}

int timeline(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto connection = transport.connect(channel, kWait);
  if (!check(connection, "connect", code, 2)) return code;
  auto packet = (*connection)->receive(64, 1, kWait);
  if (!check(packet, "receive", code, 3)) return code;
  if (packet->handles.size() != 1) return failed(4, "expected a timeline");
  auto counter = geyser::CpuTimeline::open(std::move(packet->handles[0]));
  if (!check(counter, "CpuTimeline::open", code, 5)) return code;
  auto early = counter->wait(100, std::chrono::milliseconds(50));
  if (early || early.error().code() != geyser::ErrorCode::Timeout) {
    return failed(6, "waiting for 100 did not time out");
  }
  if (!check((*connection)->send(text_bytes("ready"), {}, kWait), "send", code, 7)) return code;
  if (!check(counter->wait(5, std::chrono::hours(1)), "wait for 5", code, 8)) return code;
  if (counter->value() != 5) return failed(9, "the value is " + std::to_string(counter->value()));
  counter->signal(7);
  if (!check((*connection)->send(text_bytes("done"), {}, kWait), "send", code, 10)) return code;
  return await_close(**connection, 11);
}

int board(NamedPipeTransport& transport, const std::string& channel) {
  int code = 0;
  auto connection = transport.connect(channel, kWait);
  if (!check(connection, "connect", code, 2)) return code;
  auto packet = (*connection)->receive(64, 1, kWait);
  if (!check(packet, "receive", code, 3)) return code;
  if (packet->handles.size() != 1) return failed(4, "expected a board");
  auto reader = geyser::ipc::BoardReader::open(std::move(packet->handles[0]));
  if (!check(reader, "BoardReader::open", code, 5)) return code;
  const std::uint32_t seen = reader->wake_count();
  std::vector<std::thread> waiters;
  std::vector<int> results(3, -1);
  for (int& result : results) {
    waiters.emplace_back([&reader, &result, seen] {
      // Spurious returns are allowed: wait again while the count is what we saw.
      while (reader->wake_count() == seen) {
        if (!reader->wait(seen, std::chrono::hours(1))) return;
      }
      result = 0;
    });
  }
  if (!check((*connection)->send(text_bytes("ready"), {}, kWait), "send", code, 6)) return code;
  for (std::thread& waiter : waiters) waiter.join();
  for (const int result : results) {
    if (result != 0) return failed(7, "a waiter's wait failed");
  }
  const auto newest = reader->newest();
  if (!newest) return failed(8, "no record after the wake");
  const std::string answer = "woken " + std::to_string(newest->frame);
  if (!check((*connection)->send(text_bytes(answer), {}, kWait), "send", code, 9)) return code;
  return await_close(**connection, 10);
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc != 4)
    return failed(1, "usage: geyser_pipe_peer DIR CHANNEL echo|die|serve|list|shm|timeline|board");
  NamedPipeTransport transport{std::filesystem::path(argv[1])};
  const std::filesystem::path channel_path(argv[2]);
  const std::string channel = channel_path.string();
  const std::wstring mode(argv[3]);
  if (mode == L"echo") return echo(transport, channel);
  if (mode == L"die") return die(transport, channel);
  if (mode == L"serve") return serve(transport, channel);
  if (mode == L"list") return list(transport, channel);
  if (mode == L"shm") return shm(transport, channel);
  if (mode == L"timeline") return timeline(transport, channel);
  if (mode == L"board") return board(transport, channel);
  return failed(1, "unknown mode");
}
