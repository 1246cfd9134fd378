// --web.config.file: the Prometheus exporter-toolkit web-config format, the subset tunescope
// supports (basic_auth_users with bcrypt hashes). TLS keys are refused with the reason: Debian's
// CivetWeb 1.15 speaks the OpenSSL 1.1 API and crashes in the handshake with OpenSSL 3, so TLS
// goes in front of tunescope (README.md, "Authentication and TLS").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/http_server.h"

namespace tunescope::http {

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash ($2a/$2b/$2y$)
};

// Parses the file's text. Errors are one line: "line N: what is wrong".
Status ParseWebConfig(std::string_view text, WebConfig& out);
// Reads and parses PATH; errors name the file.
Status LoadWebConfig(const std::string& path, WebConfig& out);

// Whether an Authorization header ("Basic base64(user:password)") matches a user's bcrypt hash.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  bool Allows(std::string_view authorization_header) const;

 private:
  struct Cache;
  std::map<std::string, std::string> users_;
  std::unique_ptr<Cache> cache_;  // recently verified credentials: bcrypt costs ~50 ms a check
};

// A gate answering 401 with a Basic challenge unless the request carries valid credentials.
HttpGate BasicAuthGate(std::shared_ptr<const BasicAuth> auth);

// Standard base64 (RFC 4648, padded); false for anything else.
bool DecodeBase64(std::string_view in, std::string& out);

}  // namespace tunescope::http
