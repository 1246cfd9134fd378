// --web.config.file: the Prometheus exporter-toolkit web-config format (read with yaml-cpp), the
// subset tunescope supports (basic_auth_users with bcrypt hashes). TLS keys are refused with the
// reason: Debian's CivetWeb 1.15 speaks the OpenSSL 1.1 API and crashes in the handshake with
// OpenSSL 3, so TLS goes in front of tunescope (docs/deploy.md, "Authentication and TLS").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "host/result.h"
#include "http/http_server.h"

namespace tunescope::http {

// bcrypt costs accepted in a web config. Below 4 libxcrypt verifies nothing; each step above
// doubles a check's CPU (cost 14 is ~1 s on one core of the dev VM, cost 31 would be days),
// and a check runs on a serving thread. exporter-toolkit's htpasswd examples use 10.
inline constexpr int kMinBcryptCost = 4;
inline constexpr int kMaxBcryptCost = 14;

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash ($2a/$2b/$2y$)
};

// Parses the file's text. Errors are one line: "line N: what is wrong". Fails closed: no users,
// or a hash that cannot be verified (not bcrypt, cost outside the bounds, bad salt), is an error.
Status ParseWebConfig(std::string_view text, WebConfig& out);
// Reads and parses PATH (a regular file); errors name the file.
Status LoadWebConfig(const std::string& path, WebConfig& out);

// Whether an Authorization header ("Basic base64(user:password)") matches a user's bcrypt hash.
// A verified password is cached per user, so only the first request (or a wrong password)
// pays bcrypt; checks run on max_verifications low-priority threads of their own, and a check
// that finds them all taken is kBusy at once.
class BasicAuth {
 public:
  enum class Result { kAllowed, kDenied, kBusy };

  explicit BasicAuth(std::map<std::string, std::string> users,
                     unsigned max_verifications = DefaultMaxVerifications());
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  Result Check(std::string_view authorization_header) const;
  bool Allows(std::string_view authorization_header) const {
    return Check(authorization_header) == Result::kAllowed;
  }

  // Half the CPUs (at least one): wrong passwords never take the whole machine.
  static unsigned DefaultMaxVerifications();

 private:
  struct Cache;
  std::map<std::string, std::string> users_;
  unsigned max_verifications_;
  std::unique_ptr<Cache> cache_;  // recently verified credentials: bcrypt costs ~50 ms a check
};

// A gate answering 401 with a Basic challenge unless the request carries valid credentials,
// and 429 (Retry-After: 1) when too many password checks already run.
HttpGate BasicAuthGate(std::shared_ptr<const BasicAuth> auth);

// Standard base64 (RFC 4648, padded); false for anything else.
bool DecodeBase64(std::string_view in, std::string& out);

}  // namespace tunescope::http
