// Peer checks on Windows: the peer's user SID against the policy's.
#include <algorithm>
#include <string>

#include "geyser/ipc/peer.hpp"
#include "geyser/win32_security.hpp"

namespace geyser::ipc {

Result<PeerCredentials> check_peer(const PeerCredentials& peer, const PeerPolicy& policy) {
  std::string expected;
  if (policy.expected_sid) {
    expected = *policy.expected_sid;
  } else {
    GEYSER_TRY(expected, win32::current_user_sid());
  }
  const auto& also = policy.also_allowed_sids;
  if (peer.sid == expected || std::find(also.begin(), also.end(), peer.sid) != also.end()) {
    return peer;
  }
  std::string allowed = "SID " + expected;
  for (const std::string& sid : also) allowed += ", " + sid;
  return fail(ErrorCode::PermissionDenied, "check_peer: peer pid " + std::to_string(peer.pid) +
                                               " runs as SID " + peer.sid + "; only " + allowed +
                                               " may connect");
}

}  // namespace geyser::ipc
