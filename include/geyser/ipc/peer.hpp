// Who is on the other end of a connection, and which peers may talk to us.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "geyser/error.hpp"

namespace geyser::ipc {

/// Who is on the other end of a connection, as the OS recorded it when the connection was
/// made (SO_PEERCRED on Unix sockets). It cannot be forged by the peer.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Which peers may talk to us. The default admits only our own effective uid
/// (docs/architecture.md, "Channels"); root is not special.
struct PeerPolicy {
  /// The uid the peer must have; unset means this process's effective uid.
  std::optional<uid_t> expected_uid;
  /// Further uids admitted explicitly (e.g. a service user the application trusts).
  std::vector<uid_t> also_allowed_uids;
};

/// Checks `peer`'s uid against `policy`. Returns `peer`, or PermissionDenied naming the
/// peer's pid and uid and the uids admitted.
[[nodiscard]] Result<PeerCredentials> check_peer(const PeerCredentials& peer,
                                                 const PeerPolicy& policy = {});

}  // namespace geyser::ipc
