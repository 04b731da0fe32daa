#include "json.hpp"

#include <ostream>

namespace geyser::cli {

void write_json(std::ostream& out, const Json& value) {
  // error_handler_t::replace: dump() would otherwise throw type_error.316 on invalid UTF-8.
  out << value.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) << '\n';
}

Json string_array(const std::vector<std::string>& items) {
  Json array = Json::array();
  for (const auto& item : items) array.push_back(item);
  return array;
}

Json string_array(const std::vector<std::string_view>& items) {
  Json array = Json::array();
  for (const auto item : items) array.push_back(std::string(item));
  return array;
}

}  // namespace geyser::cli
