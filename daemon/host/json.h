// A small JSON reader for command output (`nft -j list ruleset`). Parses into a tree; depth
// and size are bounded so hostile or broken input gives an error, never a crash.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "host/result.h"

namespace tunescope::host {

struct JsonValue;
using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<std::pair<std::string, JsonValue>>;

struct JsonValue {
  std::variant<std::nullptr_t, bool, double, std::string, std::unique_ptr<JsonArray>,
               std::unique_ptr<JsonObject>>
      v = nullptr;

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  const std::string* as_string() const { return std::get_if<std::string>(&v); }
  const double* as_number() const { return std::get_if<double>(&v); }
  const JsonArray* as_array() const;
  const JsonObject* as_object() const;
  // Object member by key, or nullptr (also when this is not an object).
  const JsonValue* get(std::string_view key) const;
};

Result<JsonValue> parse_json(std::string_view text);

}  // namespace tunescope::host
