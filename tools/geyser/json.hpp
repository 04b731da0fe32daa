// JSON output shared by the subcommands' --json modes.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace geyser::cli {

/// A JSON value whose object keys keep insertion order, so that output follows the order
/// docs/cli.md documents.
using Json = nlohmann::ordered_json;

/// Writes `value` to `out`, indented by two spaces, with a final newline. Strings are
/// escaped as JSON requires (quotes, backslashes, control characters as \u00XX); bytes
/// that are not valid UTF-8 (driver strings are not guaranteed to be) become U+FFFD
/// instead of failing.
void write_json(std::ostream& out, const Json& value);

/// A JSON array of strings.
[[nodiscard]] Json string_array(const std::vector<std::string>& items);
[[nodiscard]] Json string_array(const std::vector<std::string_view>& items);

}  // namespace geyser::cli
