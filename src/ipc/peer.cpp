#include "geyser/ipc/peer.hpp"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace geyser::ipc {

Result<PeerCredentials> check_peer(const PeerCredentials& peer, const PeerPolicy& policy) {
  const uid_t expected = policy.expected_uid.value_or(::geteuid());
  if (peer.uid == expected) return peer;
  if (std::find(policy.also_allowed_uids.begin(), policy.also_allowed_uids.end(), peer.uid) !=
      policy.also_allowed_uids.end()) {
    return peer;
  }
  std::string allowed = "uid " + std::to_string(expected);
  for (const uid_t uid : policy.also_allowed_uids) allowed += ", " + std::to_string(uid);
  return fail(ErrorCode::PermissionDenied, "check_peer: peer pid " + std::to_string(peer.pid) +
                                               " runs as uid " + std::to_string(peer.uid) +
                                               "; only " + allowed + " may connect");
}

}  // namespace geyser::ipc
