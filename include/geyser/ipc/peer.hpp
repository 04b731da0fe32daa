// Who is on the other end of a connection, and which peers may talk to us.
#pragma once

#include <optional>
#include <string>
#include <vector>

#if !defined(_WIN32)
#include <sys/types.h>
#endif

#include "geyser/error.hpp"

namespace geyser::ipc {

#if defined(_WIN32)
/// Who is on the other end of a connection, as the OS recorded it when the connection was
/// made (GetNamedPipeClientProcessId or GetNamedPipeServerProcessId, then that process's
/// token): not what the peer says.
struct PeerCredentials {
  unsigned long pid = 0;  ///< the peer's process id
  std::string sid;        ///< the user its process runs as, "S-1-5-21-..."
};

/// Which peers may talk to us. The default admits only our own user (its SID); an
/// administrator is not special.
struct PeerPolicy {
  /// The SID the peer must run as; unset means this process's user.
  std::optional<std::string> expected_sid;
  /// Further SIDs admitted explicitly.
  std::vector<std::string> also_allowed_sids;
};

/// Checks `peer`'s SID against `policy`. Returns `peer`, or PermissionDenied naming the
/// peer's pid and SID and the SIDs admitted (Internal when our own SID cannot be read).
[[nodiscard]] Result<PeerCredentials> check_peer(const PeerCredentials& peer,
                                                 const PeerPolicy& policy = {});
#else
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
#endif

}  // namespace geyser::ipc
