// The life of a peer process (geyser_test_peer, geyser_sync_peer) around its protocol: find
// the socket the test handed it, serve until the test is done, and count the validation
// layer's errors at the end. No gtest here: this is linked into the peers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::test {

/// The socket on kPeerSocketFd, or nothing (after saying so on stderr, prefixed `name`) when
/// the peer was not started by a test.
[[nodiscard]] std::optional<UniqueFd> peer_socket(const char* name);

/// Calls `serve_one` until it returns false or fails. Disconnected (EOF) is how a test that
/// is done (or has failed) may end the peer, and ends the loop quietly; any other failure is
/// printed on stderr after `name` and makes the result false.
[[nodiscard]] bool serve_until_done(const char* name,
                                    const std::function<Result<bool>()>& serve_one);

/// Destroys `device` and returns the validation layer's error count, printing it after
/// `name` on stderr when there were errors. Destroying first: the layer reports leaked
/// objects at vkDestroyDevice.
[[nodiscard]] std::uint64_t destroy_and_count_validation_errors(
    std::unique_ptr<vulkan::Device>& device, const char* name);

}  // namespace geyser::test
