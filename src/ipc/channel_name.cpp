// Channel names: the rule every transport applies to the names it publishes and connects to.
#include "geyser/ipc/channel_name.hpp"

#include <cstdio>
#include <string>

namespace geyser::ipc {
namespace {

bool allowed_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The name as it can be printed in a message: at most 64 characters, non-printable bytes
// as \xNN, so that a hostile name cannot garble a log.
std::string printable(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < kMaxChannelNameSize; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (name.size() > kMaxChannelNameSize) out += "...";
  return out;
}

}  // namespace

Result<void> validate_channel_name(std::string_view name) {
  constexpr const char* kRule = "; a channel name is 1..64 characters of [A-Za-z0-9._-]";
  if (name.empty())
    return fail(ErrorCode::Validation, std::string("channel name is empty") + kRule);
  if (name.size() > kMaxChannelNameSize) {
    return fail(ErrorCode::Validation, "channel name \"" + printable(name) + "\" is " +
                                           std::to_string(name.size()) + " characters long" +
                                           kRule);
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!allowed_name_char(name[i])) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(name[i]));
      const auto c = static_cast<unsigned char>(name[i]);
      const std::string shown =
          (c >= 0x20 && c < 0x7F) ? "'" + std::string(1, name[i]) + "' (" + hex + ")" : hex;
      return fail(ErrorCode::Validation, "channel name \"" + printable(name) + "\" has character " +
                                             shown + " at position " + std::to_string(i) + kRule);
    }
  }
  if (name == "." || name == "..") {
    return fail(ErrorCode::Validation,
                "channel name \"" + std::string(name) + "\" is reserved (a directory entry)");
  }
  return {};
}

}  // namespace geyser::ipc
