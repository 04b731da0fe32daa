#include "json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace geyser::bench {

void JsonWriter::prefix(std::string_view key) {
  if (!first_.empty()) {
    out_ << (first_.back() ? "\n" : ",\n");
    first_.back() = false;
    out_ << std::string(2 * first_.size(), ' ');
  }
  if (!key.empty()) {
    quoted(key);
    out_ << ": ";
  }
}

void JsonWriter::quoted(std::string_view text) {
  out_ << '"';
  for (const char c : text) {
    switch (c) {
      case '"': out_ << "\\\""; break;
      case '\\': out_ << "\\\\"; break;
      case '\n': out_ << "\\n"; break;
      case '\t': out_ << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out_ << buf;
        } else {
          out_ << c;
        }
    }
  }
  out_ << '"';
}

void JsonWriter::begin_object(std::string_view key) {
  prefix(key);
  out_ << '{';
  first_.push_back(true);
}

void JsonWriter::end_object() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) out_ << '\n' << std::string(2 * first_.size(), ' ');
  out_ << '}';
  if (first_.empty()) out_ << '\n';
}

void JsonWriter::begin_array(std::string_view key) {
  prefix(key);
  out_ << '[';
  first_.push_back(true);
}

void JsonWriter::end_array() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) out_ << '\n' << std::string(2 * first_.size(), ' ');
  out_ << ']';
}

void JsonWriter::string(std::string_view key, std::string_view value) {
  prefix(key);
  quoted(value);
}

void JsonWriter::number(std::string_view key, double value) {
  prefix(key);
  if (!std::isfinite(value)) {
    out_ << "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  out_ << buf;
}

void JsonWriter::integer(std::string_view key, std::uint64_t value) {
  prefix(key);
  out_ << value;
}

void JsonWriter::signed_integer(std::string_view key, std::int64_t value) {
  prefix(key);
  out_ << value;
}

void JsonWriter::boolean(std::string_view key, bool value) {
  prefix(key);
  out_ << (value ? "true" : "false");
}

void write_summary(JsonWriter& json, std::string_view key, const Summary& s) {
  json.begin_object(key);
  json.integer("count", s.count);
  json.number("min", s.min);
  json.number("p50", s.p50);
  json.number("p90", s.p90);
  json.number("p99", s.p99);
  json.number("max", s.max);
  json.number("mean", s.mean);
  json.end_object();
}

}  // namespace geyser::bench
