// Garbage on both ends of a channel, for the soak test: clients that connect to the real
// sender and send it malformed messages, and a "sender" that publishes the channel name
// while the real one is dead and answers receivers with garbage.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "geyser/device_identity.hpp"

namespace geyser::soak {

/// What one malformed client did and what the sender did to it.
struct GarbageClientResult {
  std::string kind;
  bool connected = false;
  bool closed_by_sender = false;  ///< EOF came within the deadline
  std::string problem;            ///< non-empty: what the sender did wrong (a test failure)
};

/// Connects to channel `name` in `dir`, sends one randomly chosen kind of malformed message
/// sequence (the kinds of MalformedClientsAreDroppedOthersCarryOn in
/// tests/channel/channel_test.cpp, plus random bytes), and reads what the sender answers
/// until it closes the connection (at most `deadline`). `identity` makes the Hellos that the
/// sender accepts, so that garbage after a good Hello reaches a connected receiver's state.
[[nodiscard]] GarbageClientResult spray_garbage_client(const std::filesystem::path& dir,
                                                       const std::string& name,
                                                       const DeviceIdentity& identity,
                                                       std::mt19937_64& rng,
                                                       std::chrono::milliseconds deadline);

/// What the garbage sender saw.
struct GarbageSenderResult {
  bool published = false;
  std::string error;               ///< why it could not publish
  std::size_t answered = 0;        ///< connections answered with garbage
  std::vector<std::string> kinds;  ///< the kinds of garbage it answered with
};

/// Publishes channel `name` in `dir` as the real sender does (ipc::publish_channel, which
/// replaces a dead sender's stale socket), answers every connection that comes within
/// `duration` with a randomly chosen kind of garbage, then closes them and unpublishes.
[[nodiscard]] GarbageSenderResult run_garbage_sender(const std::filesystem::path& dir,
                                                     const std::string& name, std::mt19937_64& rng,
                                                     std::chrono::milliseconds duration);

}  // namespace geyser::soak
