#include "host/json.h"

#include <cstdlib>

namespace tunescope::host {

const JsonArray* JsonValue::as_array() const {
  const auto* p = std::get_if<std::unique_ptr<JsonArray>>(&v);
  return p != nullptr ? p->get() : nullptr;
}

const JsonObject* JsonValue::as_object() const {
  const auto* p = std::get_if<std::unique_ptr<JsonObject>>(&v);
  return p != nullptr ? p->get() : nullptr;
}

const JsonValue* JsonValue::get(std::string_view key) const {
  const auto* obj = as_object();
  if (obj == nullptr) return nullptr;
  for (const auto& [k, val] : *obj) {
    if (k == key) return &val;
  }
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 200;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool parse(JsonValue& out) {
    if (!value(out, 0)) return false;
    skip_ws();
    if (pos_ != s_.size()) return error("trailing characters");
    return true;
  }

  std::string message() const { return error_ + " at offset " + std::to_string(pos_); }

 private:
  bool error(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return error("bad literal");
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return error("nesting too deep");
    skip_ws();
    if (pos_ >= s_.size()) return error("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string str;
      if (!string(str)) return false;
      out.v = std::move(str);
      return true;
    }
    if (c == 't') {
      out.v = true;
      return literal("true");
    }
    if (c == 'f') {
      out.v = false;
      return literal("false");
    }
    if (c == 'n') {
      out.v = nullptr;
      return literal("null");
    }
    return number(out);
  }

  bool number(JsonValue& out) {
    const std::size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) return error("unexpected character");
    const std::string num(s_.substr(start, pos_ - start));
    char* end = nullptr;
    const double d = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) return error("bad number");
    out.v = d;
    return true;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(unsigned& cp) {
    if (pos_ + 4 > s_.size()) return error("truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= static_cast<unsigned>(h - 'A' + 10);
      } else {
        return error("bad \\u escape");
      }
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            unsigned lo = 0;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return error("bad escape");
      }
    }
    return error("unterminated string");
  }

  bool array(JsonValue& out, int depth) {
    ++pos_;
    auto arr = std::make_unique<JsonArray>();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out.v = std::move(arr);
      return true;
    }
    while (true) {
      arr->emplace_back();
      if (!value(arr->back(), depth + 1)) return false;
      skip_ws();
      if (pos_ >= s_.size()) return error("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        out.v = std::move(arr);
        return true;
      }
      return error("expected ',' or ']'");
    }
  }

  bool object(JsonValue& out, int depth) {
    ++pos_;
    auto obj = std::make_unique<JsonObject>();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out.v = std::move(obj);
      return true;
    }
    while (true) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return error("expected object key");
      std::string key;
      if (!string(key)) return false;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return error("expected ':'");
      ++pos_;
      obj->emplace_back(std::move(key), JsonValue{});
      if (!value(obj->back().second, depth + 1)) return false;
      skip_ws();
      if (pos_ >= s_.size()) return error("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        out.v = std::move(obj);
        return true;
      }
      return error("expected ',' or '}'");
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

Result<JsonValue> parse_json(std::string_view text) {
  Parser p(text);
  JsonValue v;
  if (!p.parse(v)) return fail<JsonValue>("JSON: " + p.message());
  return v;
}

}  // namespace tunescope::host
