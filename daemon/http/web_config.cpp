#include "http/web_config.h"

#include <crypt.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

namespace tunescope::http {
namespace {

std::string LineError(size_t line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

// Drops a comment ('#' at the start or after a blank, outside quotes) and trailing blanks.
std::string_view StripComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ')) {
      line = line.substr(0, i);
      break;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// A YAML scalar: plain, 'single' ('' is a quote) or "double" (\\ and \" only).
std::optional<std::string> Unquote(std::string_view s, std::string& error) {
  if (s.empty() || (s.front() != '\'' && s.front() != '"')) return std::string(s);
  const char quote = s.front();
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quote == '\'' && c == '\'') {
      if (i + 1 < s.size() && s[i + 1] == '\'') {
        out += '\'';
        ++i;
        continue;
      }
      if (i + 1 != s.size()) break;
      return out;
    }
    if (quote == '"' && c == '\\') {
      if (i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == '"')) {
        out += s[++i];
        continue;
      }
      error = "unsupported escape in a double-quoted string";
      return std::nullopt;
    }
    if (quote == '"' && c == '"') {
      if (i + 1 != s.size()) break;
      return out;
    }
    out += c;
  }
  error = "unterminated or malformed quoted string";
  return std::nullopt;
}

// Splits "key: value" / "key:" at the first ': ' outside quotes.
bool SplitKey(std::string_view s, std::string_view& key, std::string_view& value) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) {
      key = s.substr(0, i);
      value = s.substr(i + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return true;
    }
  }
  return false;
}

bool IsBcrypt(const std::string& hash) {
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

bool EmptyValue(std::string_view v) {
  return v.empty() || v == "{}" || v == "~" || v == "null";
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(password.c_str(), hash.c_str(), data.get());
  return result != nullptr && result[0] != '*' && ConstantTimeEqual(result, hash);
}

}  // namespace

Status ParseWebConfig(std::string_view text, WebConfig& out) {
  out = WebConfig{};
  bool in_users = false;
  size_t user_indent = 0;
  size_t number = 0;
  std::istringstream lines{std::string(text)};
  std::string raw;
  while (std::getline(lines, raw)) {
    ++number;
    std::string_view line = StripComment(raw);
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string_view::npos) continue;
    if (line[indent] == '\t') return Status::Error(LineError(number, "tab in indentation"));
    if (indent == 0 && (line == "---" || line == "...")) continue;
    std::string_view key_text, value_text;
    if (!SplitKey(line.substr(indent), key_text, value_text)) {
      return Status::Error(LineError(number, "expected \"key: value\""));
    }
    std::string error;
    std::optional<std::string> key = Unquote(key_text, error);
    if (!key) return Status::Error(LineError(number, error));
    if (indent == 0) {
      in_users = false;
      if (*key == "basic_auth_users") {
        if (!EmptyValue(value_text)) {
          return Status::Error(LineError(number, "basic_auth_users must be a map of user: hash"));
        }
        in_users = true;
        user_indent = 0;
      } else if (*key == "tls_server_config") {
        return Status::Error(LineError(
            number,
            "tls_server_config is not supported: this build's CivetWeb cannot do TLS with "
            "OpenSSL 3; terminate TLS in front of tunescope (see 'Authentication and TLS' in "
            "README.md)"));
      } else if (*key == "http_server_config") {
        return Status::Error(LineError(number, "http_server_config is not supported"));
      } else {
        return Status::Error(
            LineError(number, "unknown key \"" + *key + "\" (supported: basic_auth_users)"));
      }
      continue;
    }
    if (!in_users) return Status::Error(LineError(number, "unexpected indentation"));
    if (user_indent == 0) user_indent = indent;
    if (indent != user_indent) {
      return Status::Error(LineError(number, "indentation differs from the previous user"));
    }
    if (key->empty()) return Status::Error(LineError(number, "empty user name"));
    std::optional<std::string> hash = Unquote(value_text, error);
    if (!hash) return Status::Error(LineError(number, error));
    if (!IsBcrypt(*hash)) {
      return Status::Error(LineError(number, "the password of user \"" + *key +
                                                 "\" is not a bcrypt hash ($2y$..., e.g. from "
                                                 "htpasswd -nBC 10 USER)"));
    }
    if (!out.basic_auth_users.emplace(*key, *hash).second) {
      return Status::Error(LineError(number, "user \"" + *key + "\" appears twice"));
    }
  }
  return {};
}

Status LoadWebConfig(const std::string& path, WebConfig& out) {
  std::ifstream in(path);
  if (!in) return Status::Error(ErrnoMessage("web config " + path, errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error(ErrnoMessage("web config " + path, errno));
  if (Status s = ParseWebConfig(text.str(), out); !s.ok()) {
    return Status::Error("web config " + path + ": " + s.message());
  }
  return {};
}

bool DecodeBase64(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    std::array<int, 4> v{};
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[j] = value(c);
      if (v[j] < 0) return false;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) |
                          (static_cast<unsigned>(v[1]) << 12) | (static_cast<unsigned>(v[2]) << 6) |
                          static_cast<unsigned>(v[3]);
    out += static_cast<char>((bits >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return true;
}

struct BasicAuth::Cache {
  std::mutex mu;
  std::map<std::string, std::string> verified;  // user -> the password last verified for it
};

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : users_(std::move(users)), cache_(std::make_unique<Cache>()) {}

BasicAuth::~BasicAuth() = default;

bool BasicAuth::Allows(std::string_view header) const {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  std::string decoded;
  if (!DecodeBase64(header.substr(kScheme.size()), decoded)) return false;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos || users_.empty()) return false;
  const std::string user = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  auto it = users_.find(user);
  if (it == users_.end()) {
    // Spend the same bcrypt time as for a known user, so timing does not reveal user names.
    (void)BcryptMatches(password, users_.begin()->second);
    return false;
  }
  {
    std::lock_guard lock(cache_->mu);
    auto hit = cache_->verified.find(user);
    if (hit != cache_->verified.end() && ConstantTimeEqual(hit->second, password)) return true;
  }
  if (!BcryptMatches(password, it->second)) return false;
  std::lock_guard lock(cache_->mu);
  cache_->verified[user] = password;
  return true;
}

HttpGate BasicAuthGate(std::shared_ptr<const BasicAuth> auth) {
  return [auth = std::move(auth)](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (auth->Allows(request.authorization)) return std::nullopt;
    return HttpResponse{401,
                        "text/plain; charset=utf-8",
                        "unauthorized\n",
                        {{"WWW-Authenticate", "Basic realm=\"tunescope\", charset=\"UTF-8\""}}};
  };
}

}  // namespace tunescope::http
