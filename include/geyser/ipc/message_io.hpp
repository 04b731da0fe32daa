// Wire messages over a transport: encode + send, receive + decode.
#pragma once

#include "geyser/error.hpp"
#include "geyser/ipc/transport.hpp"
#include "geyser/ipc/wire.hpp"

#if !defined(_WIN32)
#include "geyser/ipc/socket.hpp"
#include "geyser/unique_fd.hpp"
#endif

namespace geyser::ipc {

/// Encodes `message` and sends it over a transport's connection with its handles attached
/// (what the channel core uses). Does not consume the message's handles. Fails like encode
/// (Validation) and Connection::send (Disconnected, Timeout, ...).
[[nodiscard]] Result<void> send(Connection& connection, const Message& message,
                                Milliseconds timeout);
/// Receives one message (at most kMaxMessageSize bytes and kMaxHandlesPerMessage handles)
/// and decodes it. Fails like Connection::receive and decode (Protocol); on any failure every
/// received handle has been closed. A Protocol error means the connection must be closed.
[[nodiscard]] Result<Message> receive(Connection& connection, Milliseconds timeout);

#if !defined(_WIN32)
/// Encodes `message` and sends it with its fds attached. Does not consume the message's fds.
/// Fails like encode (Validation) and send_message (Disconnected, Timeout, ...).
[[nodiscard]] Result<void> send(const UniqueFd& socket, const Message& message,
                                Milliseconds timeout);

/// Receives one message (at most kMaxMessageSize bytes and kMaxHandlesPerMessage fds) and
/// decodes it. Fails like receive_message (Disconnected, Timeout, Protocol) and decode
/// (Protocol); on any failure every received fd has been closed. A Protocol error means the
/// connection must be closed: the stream of messages can no longer be trusted.
[[nodiscard]] Result<Message> receive(const UniqueFd& socket, Milliseconds timeout);
#endif

}  // namespace geyser::ipc
