// A small streaming JSON writer for /advice and `tunescope advise --json`: commas and nesting
// are tracked, strings are escaped (quotes, backslashes, control characters; invalid UTF-8
// becomes U+FFFD so the output always parses), and non-finite numbers become null.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tunescope::advisor {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Number(double value);
  JsonWriter& Int(long long value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  // One entry per open container: has it a first element yet?
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// The escaped form of `s` with its quotes.
std::string JsonQuote(std::string_view s);

}  // namespace tunescope::advisor
